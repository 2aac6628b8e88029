"""Loopback receivers for the alert channels' tests: one real HTTP server on 127.0.0.1
that records every request (method, path, headers, body) and answers what the test sets:
status (2xx, 4xx, 5xx) or hang (never answers: the client's timeout must end it).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(object):
    """One provider's endpoint on loopback. requests: [{"method", "path", "headers", "body"}]."""

    def __init__(self, status=200):
        self.status = status
        self.hang = False
        self.requests = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers.items()), "body": body})
                if receiver.hang:
                    receiver.release.wait(30)
                    return
                payload = b'{"ok": true, "status": "success"}'
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]

    def json(self, index=-1):
        return json.loads(self.requests[index]["body"].decode("utf-8"))

    def header(self, name, index=-1):
        return {k.lower(): v for k, v in self.requests[index]["headers"].items()}.get(name.lower())

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
