"""End to end with a REAL Alertmanager (Debian's prometheus-alertmanager, installed by
scripts/test-env.sh), started on 127.0.0.1 with its cluster listener off and routing to a
loopback webhook receiver (receivers.py) with group_wait 1s:

- a FIRING alert arrives with the host and the rule in its labels, then its RESOLVED;
- a silence created with amtool holds the notification back;
- `twzrd-ops notify --test` reaches the receiver.

Alertmanager refuses alerts that ended in the past, so these runs use the real clock
(`now=time.time()`, still injected).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts

from receivers import Receiver
from servers import closed_port, eventually, get_text

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")
pytestmark = pytest.mark.skipif(not (ALERTMANAGER and AMTOOL), reason="prometheus-alertmanager is not installed (scripts/test-env.sh)")
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}


def swap(host, percent):
    snapshot = {"host": host, "system": {"swap": {"percent": percent}, "load": {"per_core": {"load1": 0.1}}}}
    findings = [{"rule": "swap", "key": "swap", "level": "critical", "message": "Swap use is %.1f%%." % percent, "value": percent}]
    return snapshot, (findings if percent >= 50 else [])


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alertmanager")
    hook = Receiver()
    (folder / "alertmanager.yml").write_text("""
route:
  receiver: hook
  group_by: [alertname, host]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %s/am
        send_resolved: true
""" % hook.url)
    port = closed_port()
    proc = subprocess.Popen([ALERTMANAGER, "--config.file=%s" % (folder / "alertmanager.yml"), "--storage.path=%s" % folder,
                             "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address="],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port

    def ready():
        assert proc.poll() is None, "alertmanager exited at its start"
        return get_text(url + "/-/ready", timeout=1) is not None

    eventually(ready, limit=30.0, what="alertmanager ready", every=0.1)
    yield url, hook
    proc.terminate()
    proc.wait(10)
    hook.close()


def notifications(hook, host):
    """(status, alert) of every alert Alertmanager posted for host, in order."""
    found = []
    for request in hook.requests:
        for alert in json.loads(request["body"].decode("utf-8"))["alerts"]:
            if alert["labels"].get("host") == host:
                found.append((alert["status"], alert))
    return found


def wait_for(predicate):
    eventually(predicate, limit=20.0, what="the notification", every=0.1)


def settings(tmp_path, url):
    return {"state_file": str(tmp_path / "state.json"), "log_file": str(tmp_path / "alerts.log"),
            "channels": [{"type": "alertmanager", "name": "am", "url": url}]}


def test_firing_then_resolved_arrive_with_host_and_rule_labels(tmp_path, alertmanager):
    url, hook = alertmanager
    conf = settings(tmp_path, url)
    result = alerts.process(conf, *swap("am-web-1", 60), CFG, now=time.time())
    assert result["errors"] == []
    wait_for(lambda: notifications(hook, "am-web-1"))
    status, alert = notifications(hook, "am-web-1")[0]
    assert status == "firing"
    assert alert["labels"]["alertname"] == "swap" and alert["labels"]["severity"] == "critical"
    assert alert["annotations"]["summary"] == "Swap use is 60.0%."
    assert alerts.process(conf, *swap("am-web-1", 1), CFG, now=time.time())["errors"] == []
    wait_for(lambda: any(s == "resolved" for s, _a in notifications(hook, "am-web-1")))


def test_an_amtool_silence_holds_the_notification_back(tmp_path, alertmanager):
    url, hook = alertmanager
    subprocess.run([AMTOOL, "silence", "add", "alertname=swap", "host=am-web-2", "--comment=maintenance", "--author=test",
                    "--duration=1h", "--alertmanager.url=" + url], check=True, capture_output=True, timeout=30)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    alerts.process(settings(tmp_path / "a", url), *swap("am-web-2", 60), CFG, now=time.time())
    alerts.process(settings(tmp_path / "b", url), *swap("am-web-3", 60), CFG, now=time.time())
    wait_for(lambda: notifications(hook, "am-web-3"))  # the unsilenced twin got through ...
    time.sleep(1.5)  # ... and a group_interval more
    assert notifications(hook, "am-web-2") == []


def test_notify_test_reaches_the_receiver(tmp_path, alertmanager, twzrd_ops):
    url, hook = alertmanager
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"alerts": settings(tmp_path, url)}))
    code, out, err = twzrd_ops("--config", str(path), "notify", "--test")
    assert code == 0, err
    assert out == "Alert channel am (alertmanager): sent\n"
    host = socket.gethostname()
    wait_for(lambda: any(a["labels"]["alertname"] == "twzrd_ops_test" for _s, a in notifications(hook, host)))


def test_notify_test_names_the_channel_that_failed(tmp_path, alertmanager, twzrd_ops):
    url, _hook = alertmanager
    conf = settings(tmp_path, url)
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    conf["channels"].append({"type": "ntfy", "name": "phone", "url": "http://127.0.0.1:%d" % dead.getsockname()[1], "topic": "ops", "retries": 0})
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"alerts": conf}))
    try:
        code, out, err = twzrd_ops("--config", str(path), "notify", "--test")
    finally:
        dead.close()
    assert code == 2
    assert "Alert channel phone (ntfy): FAILED (connection refused)" in out
    assert err == "The message did not reach 1 channel: Alert channel phone (ntfy).\n"
