#!/usr/bin/env python3
"""A webhook receiver for the monitor's tests, on 127.0.0.1.

usage: webhook_receiver.py PORT OUTFILE [--delay SECONDS] [--status CODE]
                           [--tls CERT KEY]

Appends each POST body to OUTFILE as one line (the path of the request is
not written: it stands for a secret token), then answers CODE (200) after
SECONDS (0); over TLS with --tls (CERT, KEY: PEM files). Prints "ready" on
stdout once it listens.
"""
import argparse
import http.server
import ssl
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("outfile")
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode("utf-8", "replace")
            with open(args.outfile, "a", encoding="utf-8") as f:
                f.write(body.replace("\n", " ") + "\n")
            time.sleep(args.delay)
            try:
                self.send_response(args.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, fmt, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready", flush=True)
    sys.stdout.close()
    srv.serve_forever()


if __name__ == "__main__":
    main()
