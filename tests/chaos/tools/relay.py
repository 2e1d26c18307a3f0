#!/usr/bin/env python3
"""A TCP relay for the chaos tests, on 127.0.0.1 only.

    relay.py LISTEN_PORT TARGET_PORT CONTROL_FILE

Relays every connection to 127.0.0.1:TARGET_PORT. CONTROL_FILE (read for
each chunk) holds one word: "fast" (no limit), "slow N" (N bytes/s per
connection, target to client), "500" (answer every request with HTTP 500
and close), "garbage" (answer with random bytes and close). A fault that a
real registry cannot be made to produce on demand; the bytes it relays are
the real registry's. Stops on SIGTERM.
"""
import os
import socket
import sys
import threading
import time

LISTEN, TARGET, CONTROL = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


def mode():
    try:
        with open(CONTROL) as f:
            return f.read().split() or ["fast"]
    except OSError:
        return ["fast"]


def pump(src, dst, limit):
    try:
        while True:
            m = mode() if limit else ["fast"]
            rate = int(m[1]) if m[0] == "slow" and len(m) > 1 else 0
            data = src.recv(min(rate, 65536) if rate else 65536)
            if not data:
                break
            dst.sendall(data)
            if rate:
                time.sleep(len(data) / rate)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client):
    m = mode()
    if m[0] in ("500", "garbage"):
        try:
            client.recv(65536)
            if m[0] == "500":
                client.sendall(b"HTTP/1.1 500 Internal Server Error\r\n"
                               b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            else:
                client.sendall(os.urandom(512))
        finally:
            client.close()
        return
    try:
        upstream = socket.create_connection(("127.0.0.1", TARGET))
    except OSError:
        client.close()
        return
    threading.Thread(target=pump, args=(client, upstream, False),
                     daemon=True).start()
    pump(upstream, client, True)
    client.close()
    upstream.close()


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", LISTEN))
    srv.listen(64)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
