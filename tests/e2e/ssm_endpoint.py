#!/usr/bin/python3
"""An SSM-compatible endpoint on loopback for the secrets tests.

Answers AmazonSSM.GetParametersByPath (JSON 1.1, paged with NextToken)
only after recomputing the request's SigV4 signature independently with
Debian's python3-botocore (botocore.auth.SigV4Auth) from the credentials
it was given, and an IMDSv2 instance metadata service (PUT
/latest/api/token, then the role and its credentials with that token).

Usage: ssm_endpoint.py DIR
DIR/config.json: {"key_id", "secret", "token" (or null), "region",
                  "parameters": {name: value}, "page_size",
                  "imds_role" (or null)}
Writes DIR/port once listening; appends one line per request to DIR/log
("verified POST GetParametersByPath page=N", "refused ...", "imds ...").
Secrets come from the file, never from argv.
"""
import datetime
import hmac
import json
import os
import re
import secrets as pysecrets
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

DIR = sys.argv[1]
with open(os.path.join(DIR, "config.json"), encoding="utf-8") as f:
    CONF = json.load(f)
IMDS_TOKENS = set()
AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)"
    r"/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$")


def log(line):
    with open(os.path.join(DIR, "log"), "a", encoding="utf-8") as out:
        out.write(line + "\n")


def check_signature(handler, body):
    """None when the request is signed right, else why not."""
    m = AUTH_RE.match(handler.headers.get("Authorization", ""))
    if not m:
        return "no SigV4 Authorization header"
    key_id, day, region, service, signed, sig = m.groups()
    amz_date = handler.headers.get("X-Amz-Date", "")
    if key_id != CONF["key_id"]:
        return "unknown access key id"
    if region != CONF["region"] or service != "ssm":
        return f"scope {region}/{service} is not {CONF['region']}/ssm"
    if not amz_date.startswith(day):
        return "X-Amz-Date is not of the credential scope's day"
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    if abs((datetime.datetime.utcnow() - when).total_seconds()) > 300:
        return "X-Amz-Date is more than 5 minutes off"
    names = signed.split(";")
    for need in ("host", "x-amz-date", "x-amz-target"):
        if need not in names:
            return f"{need} is not signed"
    token = CONF.get("token")
    if token:
        if handler.headers.get("X-Amz-Security-Token") != token:
            return "wrong or missing X-Amz-Security-Token"
        if "x-amz-security-token" not in names:
            return "x-amz-security-token is not signed"
    headers = {n: handler.headers.get(n, "") for n in names}
    req = AWSRequest(method=handler.command,
                     url=f"http://{handler.headers['Host']}{handler.path}",
                     data=body, headers=headers)
    req.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials(CONF["key_id"], CONF["secret"], token),
                     "ssm", region)
    want = auth.signature(auth.string_to_sign(req, auth.canonical_request(req)),
                          req)
    if not hmac.compare_digest(want, sig):
        return "signature mismatch"
    return None


def page(req):
    prefix = req.get("Path", "")
    if not prefix.endswith("/"):
        prefix += "/"
    names = sorted(n for n in CONF["parameters"]
                   if n.startswith(prefix) and "/" not in n[len(prefix):])
    start = int(req.get("NextToken") or 0)
    size = min(int(req.get("MaxResults", 10)), CONF.get("page_size", 2))
    out = {"Parameters": [
        {"Name": n, "Type": "SecureString", "Version": 1,
         "Value": CONF["parameters"][n]} for n in names[start:start + size]]}
    if start + size < len(names):
        out["NextToken"] = str(start + size)
    return start // size, out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, obj, ctype="application/x-amz-json-1.1"):
        data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def do_POST(self):
        body = self.body()
        why = check_signature(self, body)
        target = self.headers.get("X-Amz-Target", "")
        if why:
            log(f"refused {self.command} {target}: {why}")
            self.reply(400, {"__type": "InvalidSignatureException",
                             "message": why})
            return
        req = json.loads(body or b"{}")
        if target != "AmazonSSM.GetParametersByPath" or \
                req.get("WithDecryption") is not True:
            log(f"refused {target}: not a decrypting GetParametersByPath")
            self.reply(400, {"__type": "ValidationException",
                             "message": "unsupported request"})
            return
        n, out = page(req)
        log(f"verified POST GetParametersByPath page={n}")
        self.reply(200, out)

    def do_PUT(self):
        self.body()
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if self.path != "/latest/api/token" or not ttl:
            self.reply(400, b"bad token request", "text/plain")
            return
        tok = pysecrets.token_hex(16)
        IMDS_TOKENS.add(tok)
        log("imds token")
        self.reply(200, tok.encode(), "text/plain")

    def do_GET(self):
        role = CONF.get("imds_role")
        base = "/latest/meta-data/iam/security-credentials/"
        if self.headers.get("X-aws-ec2-metadata-token") not in IMDS_TOKENS:
            log("imds refused: no IMDSv2 token")
            self.reply(401, b"", "text/plain")
        elif role and self.path == base:
            self.reply(200, role.encode(), "text/plain")
        elif role and self.path == base + role:
            log("imds credentials")
            self.reply(200, {"Code": "Success", "AccessKeyId": CONF["key_id"],
                             "SecretAccessKey": CONF["secret"],
                             "Token": CONF.get("token"),
                             "Expiration": "2099-01-01T00:00:00Z"})
        else:
            self.reply(404, b"", "text/plain")


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = os.path.join(DIR, "port.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(str(srv.server_address[1]))
    os.rename(tmp, os.path.join(DIR, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
