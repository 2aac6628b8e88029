"""The dead-man's switch of the hourly job, end to end (issue 8, "Dead-man's switch").

`twzrd-ops alerts` pings the URL held in alerts.heartbeat_url_file at the start of every
run (URL/start) and at its end: URL after a run that checked the host (exit 0, 1 or 2),
URL/3 after one that could not (healthchecks.io's shape: /start, success, /<exit code>).

Real parts: the on-host command's main() against a real PM2 7 daemon in a private PM2_HOME
running tests/apps/healthy.js, and a real healthchecks.io-like HTTP receiver on 127.0.0.1
that records the pings. The failing run is a real fault (the state file setting names a
directory), not a planted one.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts

CHECK_ID = "5d1c7c2e-heartbeat-secret-uuid"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ERROR unknown twzrd-ops: ")


class PingReceiver:
    """A healthchecks.io-like service on 127.0.0.1: 200 for /ping/<id>[/start|/<code>],
    404 for anything else; every request is recorded as (method, path)."""

    def __init__(self):
        self.pings = []
        self.release = threading.Event()  # /hang/... waits for it (set on close)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 - silence the per-request log
                pass

            def do_GET(self):  # noqa: N802 - http.server's naming
                owner.pings.append(("GET", self.path))
                if self.path.startswith("/hang/"):
                    owner.release.wait(30)
                    return
                ok = re.match(r"^/ping/[\w-]+(/start|/\d+)?$", self.path)
                body = b"OK" if ok else b"not found"
                self.send_response(200 if ok else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.httpd.server_address[1], path)

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    rec = PingReceiver()
    yield rec
    rec.close()


def config(tmp_path, pm2_bin, pm2_home, port, url, expected=("web",), **alerts):
    url_file = tmp_path / "heartbeat.url"
    url_file.write_text(url + "\n")
    url_file.chmod(0o600)
    (tmp_path / "state").mkdir(exist_ok=True)
    section = {
        "state_file": str(tmp_path / "state" / "alerts-state.json"),
        "log_file": str(tmp_path / "alerts.log"),
        "heartbeat_url_file": str(url_file),
        "webhook_timeout": 2,
    }
    section.update(alerts)
    data = {
        "checks": {
            "pm2_path": pm2_bin, "pm2_home": pm2_home, "expected_apps": list(expected),
            "health_url": "http://127.0.0.1:%d/health" % port, "health_retries": 20, "health_delay": 0.25,
            "load_mode": "absolute", "load_warning": 10000, "load_critical": 20000, "disk_paths": [str(tmp_path)],
        },
        "alerts": section,
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return str(path)


def read(path):
    with open(str(path)) as handle:
        return handle.read()


def test_a_run_pings_start_then_success(tmp_path, pm2_bin, pm2_home, web, receiver, twzrd_ops):
    path = config(tmp_path, pm2_bin, pm2_home, web, receiver.url("/ping/" + CHECK_ID))
    code, out, err = twzrd_ops("--config", path, "alerts")
    assert (code, err) == (0, ""), (out, err)
    assert receiver.pings == [("GET", "/ping/%s/start" % CHECK_ID), ("GET", "/ping/" + CHECK_ID)]
    assert CHECK_ID not in out + read(tmp_path / "alerts.log")


def test_a_run_with_findings_still_checked_the_host_and_pings_success(tmp_path, pm2_bin, pm2_home, web, receiver, twzrd_ops):
    # milo-aggregator is expected but PM2 does not know it: critical (exit 2), but the job ran.
    path = config(tmp_path, pm2_bin, pm2_home, web, receiver.url("/ping/" + CHECK_ID), expected=("web", "milo-aggregator"))
    code, out, err = twzrd_ops("--config", path, "alerts")
    assert code == 2 and err == "", (out, err)
    assert " FIRING critical pm2_missing:milo-aggregator: " in out
    assert receiver.pings == [("GET", "/ping/%s/start" % CHECK_ID), ("GET", "/ping/" + CHECK_ID)]


def test_a_run_that_cannot_check_pings_its_exit_code(tmp_path, pm2_bin, pm2_home, web, receiver, twzrd_ops):
    (tmp_path / "state-dir").mkdir()
    path = config(tmp_path, pm2_bin, pm2_home, web, receiver.url("/ping/" + CHECK_ID), state_file=str(tmp_path / "state-dir"))
    code, out, err = twzrd_ops("--config", path, "alerts")
    assert code == 3
    assert receiver.pings == [("GET", "/ping/%s/start" % CHECK_ID), ("GET", "/ping/%s/3" % CHECK_ID)]
    sentence = "Alert setting state_file names a directory (%s); it must name a file." % (tmp_path / "state-dir")
    assert " RUN unknown run: the checks failed: %s" % sentence in read(tmp_path / "alerts.log")
    assert CHECK_ID not in out + err


def test_a_receiver_that_is_down_is_said_in_the_alert_log_format_and_changes_nothing(tmp_path, pm2_bin, pm2_home, web, twzrd_ops):
    down = PingReceiver()
    url = down.url("/ping/" + CHECK_ID)
    down.close()  # nothing listens on that port any more
    path = config(tmp_path, pm2_bin, pm2_home, web, url)
    code, out, err = twzrd_ops("--config", path, "alerts")
    assert code == 0, "a dead-man's switch that cannot be reached must not change the run's result"
    lines = err.splitlines()
    assert len(lines) == 2, err  # one sentence per ping: at start and at the end
    for line in lines:
        assert LOG_LINE.match(line), line
        assert line.endswith("ERROR unknown twzrd-ops: heartbeat ping failed (connection refused).")
    assert read(tmp_path / "alerts.log").splitlines()[-1].endswith(" RUN ok run: no active alerts")
    everything = out + err + read(tmp_path / "alerts.log")
    assert CHECK_ID not in everything and "127.0.0.1:%d" % int(url.split(":")[2].split("/")[0]) not in everything


def test_a_receiver_that_refuses_the_ping_is_said_without_the_url(tmp_path, pm2_bin, pm2_home, web, receiver, twzrd_ops):
    path = config(tmp_path, pm2_bin, pm2_home, web, receiver.url("/wrong/" + CHECK_ID))
    code, out, err = twzrd_ops("--config", path, "alerts")
    assert code == 0
    assert err.count("ERROR unknown twzrd-ops: heartbeat ping failed (HTTP 404).") == 2, err
    assert CHECK_ID not in out + err


def test_a_receiver_that_hangs_cannot_hold_the_run(tmp_path, pm2_bin, pm2_home, web, receiver, twzrd_ops):
    # webhook_timeout (1 s here) bounds each ping as a whole, as it bounds the webhook.
    path = config(tmp_path, pm2_bin, pm2_home, web, receiver.url("/hang/" + CHECK_ID), webhook_timeout=1)
    code, out, err = twzrd_ops("--config", path, "alerts")
    assert code == 0
    assert err.count("ERROR unknown twzrd-ops: heartbeat ping failed (timeout).") == 2, err
    assert [path for _method, path in receiver.pings] == ["/hang/%s/start" % CHECK_ID, "/hang/" + CHECK_ID]
    assert CHECK_ID not in out + err


def test_a_heartbeat_url_file_readable_by_others_is_said_like_the_webhooks(tmp_path, receiver):
    """Every secret file readable by others gets the warning, whichever file it is."""
    url_file = tmp_path / "heartbeat.url"
    url_file.write_text(receiver.url("/ping/abc") + "\n")
    url_file.chmod(0o644)
    conf = {"state_file": str(tmp_path / "state.json"), "heartbeat_url_file": str(url_file)}
    said = alerts.heartbeat(conf, "start")
    assert said and "heartbeat URL file" in said and "readable by other users" in said
    assert "/ping/abc" not in said and ("GET", "/ping/abc/start") in receiver.pings
    url_file.chmod(0o600)
    assert alerts.heartbeat(conf, "start") is None
