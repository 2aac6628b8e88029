"""The email channel against a real local SMTP server (aiosmtpd on 127.0.0.1): STARTTLS
with a custom CA and auth, implicit TLS (ssl), ONE message per run, a wrong password and a
server that never greets; the password is never in a result, the log or the state.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import threading
from email import message_from_bytes

import pytest

from ansible_collections.twzrd.ops.plugins.module_utils import alerts

from servers import closed_port, self_signed_cert, stop_listening

pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402 (after the skip: aiosmtpd is a test-only package)
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

T0 = 1795737600.0
HOUR = 3600.0
CFG = {"swap_warning": 20, "swap_critical": 50, "load_mode": "per_core", "load_warning": 1.0, "load_critical": 1.5}
FINDINGS = [
    {"rule": "swap", "key": "swap", "level": "critical", "message": "Swap use is 55.0% (critical above 50%).", "value": 55.0},
    {"rule": "pm2_app_down", "key": "pm2_app_down:api", "level": "critical", "message": "api is stopped.", "value": 0},
]
PASSWORD = "smtp-Pa55word-never-shown"


class Inbox(object):
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content), session.authenticated))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"alerts" and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: the channel trusts it through ca_file."""
    crt, key = self_signed_cert(tmp_path_factory.mktemp("tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(crt, key)
    return crt, context


@pytest.fixture
def smtp(cert):
    crt, context = cert
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=closed_port(), tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_required=True)
    controller.start()
    yield inbox, controller.port, crt
    controller.stop()


@pytest.fixture
def conf(tmp_path, monkeypatch):
    monkeypatch.setattr(alerts, "RETRY_DELAY", 0)
    password = tmp_path / "smtp-password"
    password.write_text(PASSWORD + "\n")
    os.chmod(str(password), 0o600)
    return {"state_file": str(tmp_path / "state.json"), "log_file": str(tmp_path / "alerts.log"), "webhook_timeout": 3,
            "webhook_retries": 0, "password": str(password)}


def email_channel(conf, port, crt, **more):
    channel = {"type": "email", "name": "mail", "host": "127.0.0.1", "port": port, "security": "starttls", "ca_file": crt,
               "username": "alerts", "password_file": conf["password"], "from": "twzrd@example.org",
               "to": ["ops@example.org", "oncall@example.org"]}
    channel.update(more)
    settings = {k: v for k, v in conf.items() if k != "password"}
    return dict(settings, channels=[channel])


def snapshot(swap):
    return {"host": "web-1", "system": {"swap": {"percent": swap}, "load": {"per_core": {"load1": 0.1}}}}


def written(conf, results):
    text = json.dumps(results)
    for path in (conf["log_file"], conf["state_file"]):
        with open(path) as handle:
            text += handle.read()
    return text


def test_starttls_with_auth_sends_one_message_per_run(conf, smtp):
    inbox, port, crt = smtp
    settings = email_channel(conf, port, crt)
    result = alerts.process(settings, snapshot(55), FINDINGS, CFG, now=T0)
    assert result["errors"] == []
    assert len(inbox.messages) == 1  # two events, one message
    sender, recipients, message, authenticated = inbox.messages[0]
    assert sender == "twzrd@example.org" and recipients == ["ops@example.org", "oncall@example.org"] and authenticated
    assert message["Subject"] == "[twzrd-ops] web-1: critical (2 events)"
    body = message.get_payload(decode=True).decode()
    assert "web-1 FIRING critical swap: Swap use is 55.0%" in body and "web-1 FIRING critical pm2_app_down:api: api is stopped." in body
    alerts.process(settings, snapshot(2), [], CFG, now=T0 + HOUR)
    assert len(inbox.messages) == 2 and inbox.messages[1][2]["Subject"] == "[twzrd-ops] web-1: RESOLVED (2 events)"
    assert PASSWORD not in written(settings, [result])


def test_a_wrong_password_is_said_without_it_and_the_message_kept(conf, smtp, tmp_path):
    inbox, port, crt = smtp
    wrong = tmp_path / "wrong"
    wrong.write_text("not-" + PASSWORD)
    settings = email_channel(conf, port, crt, password_file=str(wrong))
    result = alerts.process(settings, snapshot(55), FINDINGS[:1], CFG, now=T0)
    assert result["errors"] == ["Alert channel mail (email) delivery failed (SMTP authentication failed (535)); 1 message kept for the next run."]
    assert inbox.messages == [] and PASSWORD not in written(settings, [result])


def test_implicit_tls_ssl(conf, cert):
    crt, context = cert
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=closed_port(), ssl_context=context)
    controller.start()
    try:
        settings = email_channel(conf, controller.port, crt, security="ssl", username="", password_file="")
        result = alerts.process(settings, snapshot(55), FINDINGS[:1], CFG, now=T0)
    finally:
        controller.stop()
    assert result["errors"] == [] and len(inbox.messages) == 1


def test_a_server_that_never_greets_is_cut_at_the_timeout(conf, cert):
    crt, _context = cert
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    held = []
    acceptor = threading.Thread(target=lambda: held.append(listener.accept()), daemon=True)
    acceptor.start()
    try:
        settings = email_channel(conf, listener.getsockname()[1], crt)
        settings["webhook_timeout"] = 0.5
        result = alerts.process(settings, snapshot(55), FINDINGS[:1], CFG, now=T0)
    finally:
        stop_listening(listener, acceptor)
        for conn, _addr in held:
            conn.close()
    assert result["errors"] == ["Alert channel mail (email) delivery failed (timeout); 1 message kept for the next run."]


def test_sendmail_transport_gets_one_message_on_stdin(conf, tmp_path):
    # A stand-in for /usr/sbin/sendmail (no MTA is installed here): it records its
    # arguments and stdin, which is the whole interface the channel relies on.
    seen = tmp_path / "seen"
    fake = tmp_path / "sendmail"
    fake.write_text("#!/bin/sh\necho \"$@\" > %s.args\ncat > %s\n" % (seen, seen))
    fake.chmod(0o755)
    settings = {k: v for k, v in conf.items() if k != "password"}
    settings["channels"] = [{"type": "email", "transport": "sendmail", "sendmail": str(fake), "from": "a@example.org",
                             "to": "b@example.org"}]
    result = alerts.process(settings, snapshot(55), FINDINGS, CFG, now=T0)
    assert result["errors"] == []
    assert (tmp_path / "seen.args").read_text().split() == ["-t", "-oi"]
    message = message_from_bytes(seen.read_bytes())
    assert message["To"] == "b@example.org" and message["Subject"] == "[twzrd-ops] web-1: critical (2 events)"
