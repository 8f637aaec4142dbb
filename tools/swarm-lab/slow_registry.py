#!/usr/bin/env python3
"""A slow Docker registry (v2 API, plain HTTP, read-only) for s42-s43 (stdlib only).

usage: slow_registry.py --save FILE.tar [--port 5001] [--repo websim] [--blob-delay SECONDS] [--gzip]
                        [--mark TEXT] [--log FILE]

Serves the images of a `docker save` export (e.g. `docker save -o /tmp/websim-save.tar websim:v2-trap`) as
127.0.0.1:PORT/REPO:TAG for each RepoTag REPO:TAG in it: `GET /v2/` → 200 `{}`; `GET|HEAD /v2/REPO/manifests/TAG`
(or by digest) → an image manifest schema 2 (application/vnd.docker.distribution.manifest.v2+json, with its
Docker-Content-Digest); `GET|HEAD /v2/REPO/blobs/DIGEST` → the config blob or a layer blob; anything else → 404 with
a registry-style JSON error. dockerd treats 127.0.0.0/8 as an insecure registry: it tries HTTPS first (its TLS
ClientHello is logged as a malformed request and answered 400), then plain HTTP.

Why the served images are NOT byte-identical to the local ones: a pull of a manifest whose config digest is an image
ID the daemon already has pulls nothing (moby distribution/pull_v2.go pullSchema2: "If the image already exists
locally, no need to pull anything"), and a layer whose blob digest the daemon has pulled before and whose layer
still exists (held by the local websim:* image with the same content) is "Already exists", not downloaded. So at
load every layer gets one more file, `/.slow-registry` (content = --mark, mtime 0), and the config's
rootfs.diff_ids are rewritten to match: new layer, new image ID, same behaviour (same entry.sh, same index.html).
Once its tag is removed (`docker rmi 127.0.0.1:PORT/REPO:TAG`) the daemon holds neither, and the next pull
downloads everything again.

--blob-delay S: a layer blob GET answers its headers at once and then sends the body spread evenly over S seconds
(20 chunks a second), so a pull takes about S plus the daemon's own work, every time; the config blob and the
manifests are answered at once (the CLI's digest resolution at `docker service update --image` reads only the
manifest). Layers are served uncompressed (mediaType application/vnd.docker.image.rootfs.diff.tar, which dockerd
20.10 accepts: it sniffs the compression) unless --gzip (gzipped once at load, ...diff.tar.gzip).

Every request is one JSON line in --log: t (epoch; for blobs, when the headers were sent), client, port (the client's
TCP port: one per connection), method, path, status, kind (ping|manifest|config|layer|other|malformed), bytes; a
layer body also logs `body_end` (t, bytes sent) or `body_aborted` (t of the failed write, bytes sent before: the
daemon closed the connection, e.g. a cancelled pull).
"""
import argparse
import gzip
import hashlib
import http.server
import io
import json
import socketserver
import tarfile
import threading
import time

LOCK = threading.Lock()
LOG = None
MANIFESTS = {}    # (repo, tag or digest) -> (bytes, digest)
BLOBS = {}        # digest -> (bytes, kind)
DELAY = 0.0
MT_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_CONFIG = "application/vnd.docker.container.image.v1+json"


def log(**kw):
    if LOG is None:
        return
    with LOCK:
        LOG.write(json.dumps(dict(kw, t=kw.get("t") or time.time())) + "\n")
        LOG.flush()


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def marked_layer(raw, mark):
    """the layer tar `raw` plus one regular file /.slow-registry (content `mark`, mtime 0)."""
    src = tarfile.open(fileobj=io.BytesIO(raw), mode="r:")
    out = io.BytesIO()
    dst = tarfile.open(fileobj=out, mode="w:", format=tarfile.PAX_FORMAT)
    for m in src.getmembers():
        dst.addfile(m, src.extractfile(m) if m.isreg() else None)
    data = mark.encode()
    ti = tarfile.TarInfo(".slow-registry")
    ti.size, ti.mtime, ti.mode = len(data), 0, 0o644
    dst.addfile(ti, io.BytesIO(data))
    dst.close()
    return out.getvalue()


def load(save, repo, mark, gz):
    with tarfile.open(save, "r:") as t:
        index = json.load(t.extractfile("manifest.json"))
        for ent in index:
            tags = [rt.rsplit(":", 1)[1] for rt in ent.get("RepoTags") or [] if rt.rsplit(":", 1)[0] == repo]
            if not tags:
                continue
            config = json.loads(t.extractfile(ent["Config"]).read())
            layers = []
            diff_ids = []
            for lp in ent["Layers"]:
                raw = marked_layer(t.extractfile(lp).read(), mark)
                diff_ids.append(sha(raw))
                blob = gzip.compress(raw, mtime=0) if gz else raw
                d = sha(blob)
                BLOBS[d] = (blob, "layer")
                layers.append(dict(mediaType="application/vnd.docker.image.rootfs.diff.tar" + (".gzip" if gz else ""),
                                   size=len(blob), digest=d))
            config["rootfs"]["diff_ids"] = diff_ids
            cb = json.dumps(config, separators=(",", ":")).encode()
            cd = sha(cb)
            BLOBS[cd] = (cb, "config")
            m = json.dumps(dict(schemaVersion=2, mediaType=MT_MANIFEST,
                                config=dict(mediaType=MT_CONFIG, size=len(cb), digest=cd),
                                layers=layers), indent=3).encode()
            md = sha(m)
            MANIFESTS[(repo, md)] = (m, md)
            for tag in tags:
                MANIFESTS[(repo, tag)] = (m, md)
            log(client="-", method="(load)", path=f"{repo}:{','.join(tags)}", status=0, kind="load", manifest=md,
                config=cd, layers=[(x["digest"], x["size"]) for x in layers], diff_ids=diff_ids)


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "slow-registry/0.1"

    def _head(self, status, ctype, length, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Length", str(length))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()

    def _log(self, status, kind, nbytes, **kw):
        log(client=self.client_address[0], port=self.client_address[1], method=self.command, path=self.path,
            status=status, kind=kind, bytes=nbytes, accept=self.headers.get("Accept", "")[:160],
            ua=self.headers.get("User-Agent", "")[:100], **kw)

    def _answer(self, body_wanted):
        p = self.path.split("?", 1)[0]
        parts = p.strip("/").split("/")
        if p in ("/v2/", "/v2"):
            self._head(200, "application/json; charset=utf-8", 2)
            if body_wanted:
                self.wfile.write(b"{}")
            self._log(200, "ping", 2)
            return
        if len(parts) >= 4 and parts[0] == "v2" and parts[-2] in ("manifests", "blobs"):
            repo, what, ref = "/".join(parts[1:-2]), parts[-2], parts[-1]
            if what == "manifests" and (repo, ref) in MANIFESTS:
                m, md = MANIFESTS[(repo, ref)]
                self._head(200, MT_MANIFEST, len(m), [("Docker-Content-Digest", md), ("Etag", f'"{md}"')])
                if body_wanted:
                    self.wfile.write(m)
                self._log(200, "manifest", len(m) if body_wanted else 0, digest=md)
                return
            if what == "blobs" and ref in BLOBS:
                blob, kind = BLOBS[ref]
                self._head(200, "application/octet-stream", len(blob), [("Docker-Content-Digest", ref)])
                t_h = time.time()
                if not body_wanted:
                    self._log(200, kind, 0, t=t_h)
                    return
                if kind != "layer" or DELAY <= 0:
                    self.wfile.write(blob)
                    self._log(200, kind, len(blob), t=t_h)
                    return
                self._log(200, kind, len(blob), t=t_h)
                self._trickle(blob, t_h)
                return
            code = "MANIFEST_UNKNOWN" if what == "manifests" else "BLOB_UNKNOWN"
        else:
            code = "NAME_UNKNOWN"
        body = json.dumps({"errors": [{"code": code, "message": code.lower().replace("_", " "),
                                       "detail": {"path": self.path}}]}).encode()
        self._head(404, "application/json; charset=utf-8", len(body))
        if body_wanted:
            self.wfile.write(body)
        self._log(404, "other", len(body))

    def _trickle(self, blob, t_h):
        """the body spread evenly over DELAY seconds from t_h, in 20 chunks a second."""
        n = max(1, int(DELAY * 20))
        step = -(-len(blob) // n)
        sent = 0
        try:
            for i in range(n):
                time.sleep(max(0.0, t_h + DELAY * (i + 1) / n - time.time()))
                chunk = blob[i * step:(i + 1) * step]
                if chunk:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    sent += len(chunk)
            if sent < len(blob):
                self.wfile.write(blob[sent:])
                self.wfile.flush()
                sent = len(blob)
        except OSError as e:
            self._log(200, "layer", sent, event="body_aborted", error=type(e).__name__)
            self.close_connection = True
            return
        self._log(200, "layer", sent, event="body_end")

    def do_GET(self):
        self._answer(True)

    def do_HEAD(self):
        self._answer(False)

    def send_error(self, code, message=None, explain=None):   # malformed requests (the TLS ClientHello etc.)
        log(client=self.client_address[0], port=self.client_address[1], method="(malformed)",
            path=(self.raw_requestline or b"")[:40].hex(), status=code, kind="malformed")
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
    global LOG, DELAY
    ap = argparse.ArgumentParser()
    ap.add_argument("--save", required=True, help="a `docker save` tar")
    ap.add_argument("--port", type=int, default=5001)
    ap.add_argument("--repo", default="websim")
    ap.add_argument("--blob-delay", type=float, default=0.0)
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--mark", default="slow-registry")
    ap.add_argument("--log")
    a = ap.parse_args()
    if a.log:
        LOG = open(a.log, "a")
    DELAY = a.blob_delay
    load(a.save, a.repo, a.mark, a.gzip)
    srv = S(("127.0.0.1", a.port), H)
    log(client="-", method="(start)", path=f"127.0.0.1:{a.port}", status=0, kind="start", blob_delay=DELAY,
        gzip=a.gzip, tags=sorted(k[1] for k in MANIFESTS if not k[1].startswith("sha256:")))
    srv.serve_forever()


if __name__ == "__main__":
    main()
