"""fleet_prometheus.fetch goes through module_utils/http_fetch.py, the collection's one
deadline-bounded exchange: a Prometheus that drips its answer cannot hold the fleet run past
the timeout, basic authentication from the URL is sent and never shown, and the answer is
bounded. The Prometheus here is a real loopback socket server written for the test (the
real Prometheus of test_fleet_prometheus.py cannot be made to drip)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import fleet_prometheus, http_fetch
from ansible_collections.twzrd.ops.plugins.module_utils.common import OpsError

from servers import stop_listening

ANSWER = {"status": "success", "data": {"resultType": "vector", "result": [
    {"metric": {"__name__": "twzrd_ops_last_run_success", "instance": "web-01:9100"}, "value": [1, "1"]}]}}


class Prometheus(object):
    """Answers every request on 127.0.0.1 with body (bytes), one byte per `drip` seconds when
    drip is set; records each request's head."""

    def __init__(self, body, drip=0.0):
        self.body, self.drip, self.heads = body, drip, []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.closed.is_set():
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            self.heads.append(head.decode("latin-1"))
            data = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(self.body) + self.body
            try:
                if not self.drip:
                    conn.sendall(data)
                    return
                for index in range(len(data)):
                    if self.closed.is_set():
                        return
                    conn.sendall(data[index:index + 1])
                    time.sleep(self.drip)
            except OSError:
                return

    def close(self):
        self.closed.set()
        stop_listening(self.sock, self.thread)


@pytest.fixture
def prometheus():
    servers = []

    def start(body, drip=0.0):
        servers.append(Prometheus(body, drip))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_the_answer_is_read_with_basic_authentication_never_shown(prometheus):
    server = prometheus(json.dumps(ANSWER).encode())
    url = server.url.replace("http://", "http://ops:S3CRET@")
    assert fleet_prometheus.fetch(url, timeout=5) == ANSWER["data"]["result"]
    head = server.heads[0]
    assert head.startswith("GET /api/v1/query?query=%7B__name__%3D~%22twzrd_ops_.%2A%22%7D HTTP/1.1\r\n"), head
    assert "Authorization: Basic %s" % base64.b64encode(b"ops:S3CRET").decode() in head


def test_a_dripping_prometheus_cannot_hold_the_run_past_the_timeout(prometheus):
    server = prometheus(json.dumps(ANSWER).encode(), drip=0.3)  # about 60 s for the whole answer
    url = server.url.replace("http://", "http://ops:S3CRET@")
    started = time.monotonic()
    with pytest.raises(OpsError) as info:
        fleet_prometheus.fetch(url, timeout=2)
    took = time.monotonic() - started
    assert took < 10, took  # the whole exchange is bounded, not each read (each byte comes within 0.3 s)
    text = str(info.value)
    assert text == "Cannot reach Prometheus at %s (no answer within 2 seconds); check twzrd_ops_fleet_prometheus_url." % server.url
    assert "S3CRET" not in text and "ops:" not in text and "ops@" not in text


def test_a_fleet_beyond_the_probe_bound_is_read_whole(prometheus):
    # 300 hosts' answer (about 1.9 KB each) is far over the 64 KiB a probe or webhook reads.
    fleet = dict(ANSWER, padding="x" * (300 * 1900))
    assert len(json.dumps(fleet)) > http_fetch.BODY_LIMIT
    server = prometheus(json.dumps(fleet).encode())
    assert fleet_prometheus.fetch(server.url, timeout=10) == ANSWER["data"]["result"]


def test_an_answer_over_the_bound_is_a_sentence(prometheus):
    big = dict(ANSWER, padding="x" * (fleet_prometheus.ANSWER_LIMIT + 10))
    server = prometheus(json.dumps(big).encode())
    with pytest.raises(OpsError) as info:
        fleet_prometheus.fetch(server.url, timeout=5)
    assert str(info.value).startswith("Prometheus at %s answered more than " % server.url)


def test_a_refused_connection_names_the_url_without_credentials():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens
    with pytest.raises(OpsError) as info:
        fleet_prometheus.fetch("http://ops:S3CRET@127.0.0.1:%d/" % port, timeout=2)
    text = str(info.value)
    assert text.startswith("Cannot reach Prometheus at http://127.0.0.1:%d/ (" % port) and "S3CRET" not in text
