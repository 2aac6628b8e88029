"""A health answer cut short is not healthy: a real server on 127.0.0.1 promises
Content-Length 1000, sends 15 bytes of valid JSON and closes the connection."""

from __future__ import annotations

import socket

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import probe

from servers import CutShort


def test_a_body_shorter_than_its_content_length_is_not_healthy():
    server = CutShort()
    try:
        result = probe.probe(server.url, timeout=5, expect_json=True, expect_keys={"status": "ok"})
    finally:
        server.close()
    assert result["healthy"] is False
    assert result["reason"] == "incomplete body"
    assert "closed the connection after 15 bytes of its answer, 985 short of its Content-Length" in result["message"]


def test_a_closed_cut_short_server_answers_nothing_more():
    # The server's accept thread ends with close(), so no later listener that gets its
    # descriptor number can be answered by it (servers.stop_listening).
    server = CutShort()
    port = int(server.url.split(":")[2].split("/")[0])
    server.close()
    assert not server.thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
