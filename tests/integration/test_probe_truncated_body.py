"""A health answer cut short is not healthy: a real server on 127.0.0.1 promises
Content-Length 1000, sends 15 bytes of valid JSON and closes the connection."""

from __future__ import annotations

import socket
import threading

from ansible_collections.twzrd.ops.plugins.module_utils import probe


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
                conn.recv(65536)
                conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"status":"ok"}')

    def close(self):
        self.sock.close()


def test_a_body_shorter_than_its_content_length_is_not_healthy():
    server = CutShort()
    try:
        result = probe.probe(server.url, timeout=5, expect_json=True, expect_keys={"status": "ok"})
    finally:
        server.close()
    assert result["healthy"] is False
    assert result["reason"] == "incomplete body"
    assert "closed the connection after 15 bytes of its answer, 985 short of its Content-Length" in result["message"]
