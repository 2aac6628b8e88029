"""Real HTTP servers for the health probe tests (python http.server on 127.0.0.1).

HealthServers starts one threaded server on a random loopback port whose paths behave
like the services an operator meets:

  /health        200, {"status": "ok", "checks": {"db": "ok"}, "uptime": 12}
  /error         500, {"status": "error"}
  /slow          waits SLOW_SECONDS (or ?seconds=N) before a healthy answer
  /text          200, an HTML page (not JSON)
  /degraded      200, {"status": "degraded", "checks": {"db": "down"}}
  /big           200, a JSON body larger than the probe reads (64 KiB)
  /flaky?fail=N  503 for the first N requests on that URL, then healthy
  /auth          200 only with the header "Authorization: Bearer <HealthServers.TOKEN>", else 401
  /drip?part=body|headers&seconds=N
                 a healthy answer sent one byte a second (the body, or the status line and
                 headers too), N bytes long at most: a per-read timeout never fires
  /hang          accepts the request and never answers
  /redirect?to=URL&status=302
                 a redirect to URL (relative or absolute, another port or host)
  /loop          redirects to itself, forever
  /nested?depth=N&kind=list|dict
                 200, a JSON body nested N levels deep
  /nan           200, {"status": "ok", "uptime": NaN, "load": Infinity}

HealthServers(tls=True) serves the same paths over HTTPS with a self-signed certificate
for 127.0.0.1 made for the occasion (self_signed_cert(); its file is `cert`, the CA file
that makes a client trust it). closed_port() gives a loopback port nothing
listens on. Every request is recorded in
`requests` (path, method, headers) so tests can check what the probe sent.

CutShort answers every request with a body shorter than its Content-Length and closes.
WebhookReceiver is the Slack-like webhook endpoint of the alert tests (records the JSON
bodies, answers `status`); health_json(port) reads a demo app's /health and get_text(url)
any page, both None while nothing answers (to wait with eventually()).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import urllib.request
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_SECONDS = 3
HEALTHY = {"status": "ok", "checks": {"db": "ok"}, "uptime": 12}


class _Handler(BaseHTTPRequestHandler):
    server_version = "twzrd-test/1.0"

    def log_message(self, format, *args):  # noqa: A002 - silence the per-request log
        pass

    def _send(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _route(self):
        parts = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parts.query)
        owner = self.server.owner
        with owner.lock:
            owner.requests.append({"path": self.path, "method": self.command, "headers": dict(self.headers)})
            owner.hits[self.path] = owner.hits.get(self.path, 0) + 1
            hits = owner.hits[self.path]
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            owner.requests[-1]["body"] = self.rfile.read(length).decode("utf-8", "replace")
        path = parts.path
        if path == "/health":
            self._send(200, HEALTHY)
        elif path == "/error":
            self._send(500, {"status": "error"})
        elif path == "/slow":
            time.sleep(float(query.get("seconds", [SLOW_SECONDS])[0]))
            self._send(200, HEALTHY)
        elif path == "/text":
            self._send(200, b"<html><body>It works</body></html>", "text/html")
        elif path == "/degraded":
            self._send(200, {"status": "degraded", "checks": {"db": "down"}})
        elif path == "/big":
            self._send(200, {"status": "ok", "padding": "x" * (70 * 1024)})
        elif path == "/flaky":
            if hits <= int(query.get("fail", ["2"])[0]):
                self._send(503, {"status": "starting"})
            else:
                self._send(200, HEALTHY)
        elif path == "/drip":
            self._drip(query)
        elif path == "/hang":
            time.sleep(float(query.get("seconds", ["30"])[0]))
        elif path == "/redirect":
            self.send_response(int(query.get("status", ["302"])[0]))
            self.send_header("Location", query["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/loop":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/nested":
            depth = int(query.get("depth", ["100000"])[0])
            opening, closing = (b"[", b"]") if query.get("kind", ["list"])[0] == "list" else (b'{"a":', b"}")
            self._send(200, opening * depth + b"1" + closing * depth)
        elif path == "/nan":
            self._send(200, b'{"status": "ok", "uptime": NaN, "load": Infinity}')
        elif path == "/auth":
            if self.headers.get("Authorization") == "Bearer " + HealthServers.TOKEN:
                self._send(200, HEALTHY)
            else:
                self._send(401, {"status": "unauthorized"})
        else:
            self._send(404, {"status": "not found"})

    def _drip(self, query):
        """One byte a second, flushed, for at most `seconds` bytes."""
        body = json.dumps(HEALTHY).encode()
        head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)).encode()
        limit = int(query.get("seconds", ["30"])[0])
        if query.get("part", ["body"])[0] == "body":
            self.wfile.write(head)
            self.wfile.flush()
            data = body
        else:
            data = head + body
        for index in range(min(limit, len(data))):
            self.wfile.write(data[index:index + 1])
            self.wfile.flush()
            time.sleep(1)

    do_GET = do_HEAD = do_POST = _route


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up (the probe's timeout on /slow) closes the socket before the
        # answer is written; that is the point of the test, not a server failure.
        pass


class HealthServers:
    """Context manager: `with HealthServers() as srv: srv.url("/health")`."""

    TOKEN = "canary-token-6f1d2c9b"

    def __init__(self, tls=False):
        self.requests = []
        self.hits = {}
        self.lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self.scheme = "https" if tls else "http"
        self.certdir = None
        self.cert = None
        if tls:
            self.certdir = tempfile.mkdtemp(prefix="twzrd-tls-")
            self.cert, key = self_signed_cert(self.certdir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.cert, key)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path):
        return "%s://127.0.0.1:%d%s" % (self.scheme, self.port, path)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.certdir:
            shutil.rmtree(self.certdir)


def self_signed_cert(folder):
    """(cert.pem, key.pem) in folder: a self-signed certificate for 127.0.0.1 (made by the
    openssl command), which a client trusts when given cert.pem as its CA file."""
    cert, key = os.path.join(str(folder), "cert.pem"), os.path.join(str(folder), "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def closed_port():
    """A loopback port with nothing listening (bound, then released)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def eventually(predicate, limit=60.0, what="condition", every=0.2):
    """Poll predicate until it returns something true (bounded) and return that; a readiness
    wait, not a timing assertion: past the limit it fails saying what was awaited."""
    deadline = time.monotonic() + limit
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s not reached within %s s" % (what, limit))
        time.sleep(every)


def _read_request(conn):
    """Read one whole request (headers and the Content-Length body) from a socket: closing it
    with a POST body unread would answer with a reset instead of the cut-short reply."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    missing = int(match.group(1)) - len(body) if match else 0
    while missing > 0:
        chunk = conn.recv(min(missing, 65536))
        if not chunk:
            return
        missing -= len(chunk)


def stop_listening(sock, thread, limit=5.0):
    """Close a listening socket that `thread` is blocked in accept() on, and wait for that thread.

    close() alone does not wake a thread blocked in accept() (Linux): the thread lives on (one
    leaked per server), and its descriptor number goes to the next file the process opens. A
    thread that read the number just before close() and enters accept() just after it waits
    on whatever socket got that number: a later listener, whose connections this server then
    answers. A CI run failed with this server's own reply ("network error (IncompleteRead)")
    from a plain webhook receiver that never saw the request. shutdown() wakes accept() with
    EINVAL, the thread ends, and only then is the number freed.
    """
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    thread.join(limit)
    sock.close()
    if thread.is_alive():
        raise AssertionError("the test server's accept thread did not end within %s s of shutdown()" % limit)


class CutShort(object):
    """Answers every request with HTTP 200, Content-Length 1000 and only `{"status":"ok"}`."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = "http://127.0.0.1:%d/health" % self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            with conn:
                _read_request(conn)
                conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"status":"ok"}')

    def close(self):
        stop_listening(self.sock, self.thread)


# The secret part of the webhook URL the receiver serves (tests assert it is never shown).
WEBHOOK_SECRET = "T0000/B1111/xoxb-very-secret-token"


class WebhookReceiver(object):
    """A Slack-like endpoint: records JSON bodies, answers `status`."""

    def __init__(self):
        self.posts = []
        self.attempts = 0
        self.status = 200
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                receiver.attempts += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.status == 200:
                    receiver.posts.append({"path": self.path, "type": self.headers.get("Content-Type"), "json": json.loads(body)})
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/services/%s" % (self.server.server_address[1], WEBHOOK_SECRET)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def texts(self):
        return [post["json"]["text"] for post in self.posts]

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def lines(self):
        """Every line of every text received."""
        return [line for text in self.texts() for line in text.split("\n")]


def get_text(url, timeout=2):
    """The body of a GET of url as text, or None while nothing answers there (for eventually())."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def health_json(port):
    """The JSON of http://127.0.0.1:PORT/health, or None while nothing answers there."""
    text = get_text("http://127.0.0.1:%d/health" % port)
    return None if text is None else json.loads(text)
