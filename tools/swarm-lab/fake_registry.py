#!/usr/bin/env python3
"""A fake Docker registry for s26 (stdlib only).

usage: fake_registry.py [--port 5000] [--log FILE]

Plain HTTP on 127.0.0.1 (dockerd treats 127.0.0.0/8 as an insecure registry: it tries HTTPS first and falls
back to HTTP). `GET /v2/` (and HEAD) answers 200 `{}` with `Docker-Distribution-API-Version: registry/2.0`;
every other request answers 404 with a registry-style JSON error body whose code is MANIFEST_UNKNOWN.
Every request (and every malformed one, e.g. the daemon's TLS ClientHello before it falls back to HTTP) is
written to --log as a JSON line: t (epoch), client, method, path, status.
"""
import argparse
import http.server
import json
import socketserver
import threading
import time

LOCK = threading.Lock()
LOG = None


def log(**kw):
    if LOG is None:
        return
    with LOCK:
        LOG.write(json.dumps(dict(t=time.time(), **kw)) + "\n")
        LOG.flush()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-registry/0.1"

    def _answer(self, body_wanted):
        if self.path in ("/v2/", "/v2"):
            status, body = 200, b"{}"
        else:
            status = 404
            body = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown",
                                           "detail": {"path": self.path}}]}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body_wanted:
            self.wfile.write(body)
        log(client=self.client_address[0], method=self.command, path=self.path, status=status,
            accept=self.headers.get("Accept", "")[:200], ua=self.headers.get("User-Agent", "")[:120])

    def do_GET(self):
        self._answer(True)

    def do_HEAD(self):
        self._answer(False)

    def send_error(self, code, message=None, explain=None):   # malformed requests (TLS hello etc.)
        log(client=self.client_address[0], method="(malformed)", path=(self.raw_requestline or b"")[:40].hex(),
            status=code)
        try:
            super().send_error(code, message, explain)
        except OSError:
            pass

    def log_message(self, *a):
        pass


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=5000)
    ap.add_argument("--log")
    a = ap.parse_args()
    if a.log:
        LOG = open(a.log, "a")
    log(client="-", method="(start)", path=f"127.0.0.1:{a.port}", status=0)
    S(("127.0.0.1", a.port), H).serve_forever()


if __name__ == "__main__":
    main()
