"""Termination loses nothing: the hourly run writes ahead, then delivers.

A run's log lines and webhook messages are in the alert state (one atomic write) before
anything is logged or sent; the next run appends and sends what a killed run left. Real
parts: the on-host command in its own process, killed with a real SIGKILL while a real
receiver on 127.0.0.1 hangs (it accepts the connection and never answers); then the
Slack-like receiver of the webhook tests. For the other steps of the run the kill is
planted in-process at each step (a BaseException no code of the run catches, raised
before or after each write), since a signal cannot be aimed at one write from outside.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts

import servers
from servers import WebhookReceiver

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".ansible", "collections")
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}
T0 = 1795737600.0


class Hanging(object):
    """A receiver that accepts connections (the kernel's backlog) and never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d/hook" % self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


@pytest.fixture
def layout(tmp_path):
    (tmp_path / "state").mkdir()
    url_file = tmp_path / "webhook.url"
    url_file.touch(0o600)
    config = {
        "checks": {"pm2_path": "", "pm2_home": str(tmp_path / "pm2home"), "disk_paths": [str(tmp_path)],
                   "health_url": "http://127.0.0.1:%d/health" % servers.closed_port(), "health_timeout": 1,
                   "health_retries": 0, "swap_warning": 99, "swap_critical": 100, "load_mode": "absolute",
                   "load_warning": 10000, "load_critical": 20000, "disk_warning": 100, "disk_critical": 100},
        "alerts": {"state_file": str(tmp_path / "state" / "alerts-state.json"), "log_file": str(tmp_path / "alerts.log"),
                   "webhook_url_file": str(url_file), "webhook_timeout": 60, "webhook_retries": 0},
    }

    def write(url, health=True):
        url_file.write_text(url + "\n")
        data = json.loads(json.dumps(config))
        if not health:
            data["checks"]["health_url"] = ""
        (tmp_path / "config.json").write_text(json.dumps(data))
        return str(tmp_path / "config.json")

    return write, config["alerts"]


def start_run(config):
    env = dict(os.environ, PYTHONPATH=COLLECTIONS, PATH="/usr/bin:/bin")
    code = "import sys; from ansible_collections.twzrd.ops.plugins.module_utils import cli; sys.exit(cli.main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, "--config", config, "alerts"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def log_text(conf):
    if not os.path.exists(conf["log_file"]):
        return ""
    with open(conf["log_file"]) as handle:
        return handle.read()


def kill_during_delivery(config, conf, line):
    """Start the run and SIGKILL it once its LINE is logged (it is then delivering)."""
    proc = start_run(config)
    try:
        servers.eventually(lambda: line in log_text(conf) or proc.poll() is not None,
                           limit=60, what="the line %r written ahead of the delivery" % line)
        assert proc.poll() is None, "the run ended before it could be killed: %s" % (proc.communicate(),)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL


def test_a_run_killed_while_the_receiver_hangs_loses_neither_its_firing_nor_its_resolved(layout):
    write, conf = layout
    hanging = Hanging()
    receiver = WebhookReceiver()
    try:
        kill_during_delivery(write(hanging.url), conf, " FIRING critical health: ")  # health fails: FIRING, killed
        kill_during_delivery(write(hanging.url, health=False), conf, " RESOLVED ok health: ")  # health gone: RESOLVED, killed
        proc = start_run(write(receiver.url, health=False))
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (out, err)
    finally:
        hanging.close()
        receiver.close()
    sent = "\n".join(receiver.texts())
    assert " FIRING critical health: " in sent and " RESOLVED ok health: " in sent
    log = log_text(conf)
    assert log.count(" FIRING critical health: ") >= 1 and log.count(" RESOLVED ok health: ") >= 1
    with open(conf["state_file"]) as handle:
        state = json.load(handle)
    assert state["outbox"] == {} and state["pending_log"] == []


def test_sigterm_during_delivery_ends_the_run_with_a_sentence_and_the_next_run_sends(layout):
    write, conf = layout
    hanging = Hanging()
    receiver = WebhookReceiver()
    try:
        proc = start_run(write(hanging.url))
        servers.eventually(lambda: " FIRING critical health: " in log_text(conf) or proc.poll() is not None,
                           limit=60, what="the FIRING line written ahead of the delivery")
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 3
        assert "stopped by SIGTERM" in err and "Traceback" not in err
        proc = start_run(write(receiver.url))
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (out, err)
    finally:
        hanging.close()
        receiver.close()
    assert " FIRING critical health: " in "\n".join(receiver.texts())


class Killed(BaseException):
    """The run stops here, as under SIGKILL: nothing of the run catches a BaseException."""


STEPS = [("write_state", 1, "before"), ("write_state", 1, "after"), ("append_log", 1, "before"),
         ("append_log", 1, "after"), ("write_state", 2, "after"), ("drain", 1, "before"),
         ("drain", 1, "after"), ("write_state", 3, "after"), ("write_textfile", 1, "before")]


@pytest.mark.parametrize("name, nth, when", STEPS, ids=["%s-%d-%s" % step for step in STEPS])
def test_a_kill_at_any_step_is_recovered_by_the_next_run(tmp_path, monkeypatch, name, nth, when):
    receiver = WebhookReceiver()
    monkeypatch.setattr(alerts, "RETRY_DELAY", 0)
    (tmp_path / "textfile").mkdir()
    url_file = tmp_path / "webhook.url"
    url_file.write_text(receiver.url)
    url_file.chmod(0o600)
    conf = {"state_file": str(tmp_path / "state.json"), "log_file": str(tmp_path / "alerts.log"),
            "webhook_url_file": str(url_file), "webhook_retries": 0, "textfile_path": str(tmp_path / "textfile" / "t.prom")}
    swap = [{"rule": "swap", "key": "swap", "level": "critical", "message": "Swap use is 55.0%.", "value": 55.0}]
    snap = {"host": "web-1", "system": {"swap": {"percent": 55.0}, "load": {"per_core": {"load1": 0.1}}}}
    real = getattr(alerts, name)
    calls = []

    def planted(*args, **kwargs):
        calls.append(1)
        if len(calls) == nth and when == "before":
            raise Killed()
        value = real(*args, **kwargs)
        if len(calls) == nth:
            raise Killed()
        return value

    monkeypatch.setattr(alerts, name, planted)
    try:
        with pytest.raises(Killed):
            alerts.process(conf, snap, swap, CFG, now=T0)
        monkeypatch.setattr(alerts, name, real)
        alerts.process(conf, snap, swap, CFG, now=T0 + 3600)                      # still firing
        alerts.process(conf, dict(snap, system={"swap": {"percent": 0.0}}), [], CFG, now=T0 + 7200)  # resolved
    finally:
        receiver.close()
    sent = "\n".join(receiver.texts())
    with open(conf["log_file"]) as handle:
        log = handle.read()
    for text in (sent, log):
        assert " FIRING critical swap: " in text and " RESOLVED ok swap: " in text
