"""weekly-health.yml e-mails the fleet report to people from the controller
(twzrd_ops_fleet_report_email, module twzrd.ops.report_email): one message with the Markdown
text and the HTML page as its alternative, over STARTTLS with auth. A wrong password fails the
run with one sentence that never shows it. Real parts: ansible-playbook against localhost and a
real SMTP server (aiosmtpd) on 127.0.0.1 with a self-signed certificate the settings trust."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
from email import message_from_bytes, policy

import pytest

pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402 (after the check: aiosmtpd is a test-only package)
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

PASSWORD = "fleet-Pa55word-never-shown"


class Inbox(object):
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"reports" and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp(tmp_path):
    key, crt = str(tmp_path / "key.pem"), str(tmp_path / "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(crt, key)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_required=True)
    controller.start()
    yield inbox, port, crt
    controller.stop()


def weekly(run_playbook, tmp_path, settings):
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"twzrd_ops_become": False, "twzrd_ops_fail_on_critical": False,
                                 "twzrd_ops_fleet_reports_dir": str(tmp_path / "reports"),
                                 "twzrd_ops_fleet_report_email": settings}))
    return run_playbook("playbooks/weekly-health.yml", "--skip-tags", "host_report", "-e", "@" + str(extra))


def test_the_fleet_report_is_mailed_with_its_page(run_playbook, tmp_path, smtp):
    inbox, port, crt = smtp
    proc = weekly(run_playbook, tmp_path, {"host": "127.0.0.1", "port": port, "ca_file": crt, "username": "reports",
                                           "password": PASSWORD, "from": "twzrd@example.org", "to": ["ops@example.org"]})
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert PASSWORD not in proc.stdout + proc.stderr
    ((recipients, message),) = inbox.messages
    assert recipients == ["ops@example.org"]
    assert message["Subject"].startswith("Weekly health ") and ("healthy" in message["Subject"])
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    (markdown,) = list((tmp_path / "reports").glob("weekly-health-*.md"))
    assert text.replace("\r\n", "\n") == markdown.read_text()  # SMTP carries CRLF line ends
    assert html.lstrip().lower().startswith("<!doctype html") and "localhost" in html


def test_a_wrong_password_fails_the_run_with_one_sentence(run_playbook, tmp_path, smtp):
    inbox, port, crt = smtp
    proc = weekly(run_playbook, tmp_path, {"host": "127.0.0.1", "port": port, "ca_file": crt, "username": "reports",
                                           "password": "not-" + PASSWORD, "from": "twzrd@example.org", "to": "ops@example.org"})
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and inbox.messages == []
    assert "The report could not be e-mailed to ops@example.org via 127.0.0.1 (SMTP authentication failed (535))." in " ".join(output.split())
    assert PASSWORD not in output
