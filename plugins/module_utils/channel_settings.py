# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The alert channels' settings: the list alerts.channels, each {"type": TYPE, ...}.

validate_channels() checks the list and fills in each channel's defaults; configured()
adds today's webhook_url_file as the channel "slack". A secret (token, routing key,
password, a URL that carries a token) is never a setting: a setting names the root-only
file holding it (*_file), and no message here shows a value that may be one.
Like every module_utils file this imports nothing from ansible.
"""

from __future__ import annotations

import re

from .common import OpsError, number, refuse_unknown

TYPES = ("alertmanager", "pagerduty", "telegram", "discord", "slack", "email", "ntfy", "webhook")

# Every channel: name (default: its type), timeout and retries (default: the alert
# settings webhook_timeout and webhook_retries).
_COMMON = {"type": None, "name": None, "timeout": None, "retries": None}

# Per type: setting -> default (None: required; "" : optional).
_FIELDS = {
    "alertmanager": {"url": None, "username": "", "password_file": "", "token_file": "", "ca_file": "", "ends_after_hours": 3},
    "pagerduty": {"url": "https://events.pagerduty.com", "routing_key_file": None, "ca_file": ""},
    "telegram": {"url": "https://api.telegram.org", "token_file": None, "chat_id": None, "ca_file": ""},
    "discord": {"url_file": None, "ca_file": ""},
    "slack": {"url_file": None, "ca_file": ""},
    "webhook": {"url_file": None, "ca_file": "", "token_file": ""},
    "ntfy": {"url": "https://ntfy.sh", "topic": None, "token_file": "", "ca_file": ""},
    "email": {"transport": "smtp", "host": "localhost", "port": 0, "security": "starttls", "username": "", "password_file": "",
              "from": None, "to": None, "sendmail": "/usr/sbin/sendmail", "ca_file": ""},
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
_SMTP_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _fail(channel, sentence):
    raise OpsError("Alert channel %s: %s" % (channel, sentence))


def _path(shown, key, value, required):
    if value in ("", None) and not required:
        return ""
    if not isinstance(value, str) or not value.startswith("/"):
        # The value may be the secret itself, pasted by mistake: never shown.
        _fail(shown, "%s must be the absolute path of a root-only file (the value is not shown: it may be the secret itself)." % key)
    return value


def _base_url(shown, value):
    if not isinstance(value, str) or not re.match(r"^https?://[^/\s@]+(/\S*)?$", value):
        _fail(shown, "url must be an http(s) base URL without credentials (put tokens and passwords in *_file settings).")
    return value.rstrip("/")


def _one(channel, index, defaults):
    shown = "#%d" % (index + 1)
    if not isinstance(channel, dict):
        raise OpsError("Alert channel #%d must be a mapping with a type (one of %s)." % (index + 1, ", ".join(TYPES)))
    kind = channel.get("type")
    if kind not in TYPES:
        _fail(shown, "type must be one of %s." % ", ".join(TYPES))
    fields = _FIELDS[kind]
    refuse_unknown(channel, dict(_COMMON, **fields), "setting%s of the %s alert channel %s" % ("%s", kind, shown))
    name = channel.get("name") or kind
    if not isinstance(name, str) or not _NAME.match(name):
        _fail(shown, "name must be a word of letters, digits, '.', '_' or '-' (at most 64).")
    shown = "%s (%s)" % (name, kind)
    conf = {"type": kind, "name": name}
    for key in ("timeout", "retries"):
        value = channel.get(key)
        low, high = (0.1, 300) if key == "timeout" else (0, 10)
        conf[key] = defaults[key] if value is None else number(key, value, low, high, integer=key == "retries",
                                                               what="Alert channel %s setting" % shown)
    for key, default in fields.items():
        value = channel.get(key)
        if value is None or value == "":
            if default is None:
                _fail(shown, "%s is required." % key)
            value = default
        if key.endswith("_file"):
            value = _path(shown, key, value, default is None)
        conf[key] = value
    return _check_type(shown, conf)


def _check_type(shown, conf):
    kind = conf["type"]
    if "url" in conf:
        conf["url"] = _base_url(shown, conf["url"])
    if kind == "alertmanager":
        if conf["token_file"] and (conf["username"] or conf["password_file"]):
            _fail(shown, "choose basic auth (username, password_file) or a bearer token (token_file), not both.")
        if bool(conf["username"]) != bool(conf["password_file"]):
            _fail(shown, "basic auth needs both username and password_file.")
        conf["ends_after_hours"] = number("ends_after_hours", conf["ends_after_hours"], 1, 24 * 7, what="Alert channel %s setting" % shown)
    elif kind == "telegram":
        if isinstance(conf["chat_id"], bool) or not isinstance(conf["chat_id"], (int, str)) or not re.match(r"^@?-?[\w]+$", str(conf["chat_id"])):
            _fail(shown, "chat_id must be a chat number (e.g. -1001234) or @channelname.")
        conf["chat_id"] = str(conf["chat_id"])
    elif kind == "ntfy":
        if not isinstance(conf["topic"], str) or not _TOPIC.match(conf["topic"]):
            _fail(shown, "topic must be 1-64 letters, digits, '_' or '-'.")
    elif kind == "email":
        _check_email(shown, conf)
    return conf


def _check_email(shown, conf):
    if conf["transport"] not in ("smtp", "sendmail"):
        _fail(shown, "transport must be smtp or sendmail.")
    if conf["security"] not in _SMTP_PORTS:
        _fail(shown, "security must be starttls, ssl or none.")
    if not isinstance(conf["host"], str) or not re.match(r"^[A-Za-z0-9.:\[\]-]+$", conf["host"]):
        _fail(shown, "host must be a host name or address.")
    conf["port"] = number("port", conf["port"], 0, 65535, integer=True, what="Alert channel %s setting" % shown) or _SMTP_PORTS[conf["security"]]
    if bool(conf["username"]) != bool(conf["password_file"]):
        _fail(shown, "SMTP auth needs both username and password_file.")
    if conf["username"] and conf["security"] == "none":
        _fail(shown, "SMTP auth needs security starttls or ssl (the password would cross the network in clear).")
    recipients = conf["to"] if isinstance(conf["to"], list) else [conf["to"]]
    if not recipients or not all(isinstance(a, str) and _ADDRESS.match(a) for a in recipients + [conf["from"]]):
        _fail(shown, "from and to must be e-mail addresses (to: one or a list).")
    conf["to"] = recipients
    if not isinstance(conf["sendmail"], str) or not conf["sendmail"].startswith("/"):
        _fail(shown, "sendmail must be an absolute path.")


def validate_channels(channels, defaults):
    """The list alerts.channels checked, each channel with its defaults filled in.
    defaults: the alert settings (their webhook_timeout and webhook_retries). Raises OpsError."""
    if channels in (None, ""):
        return []
    if not isinstance(channels, list):
        raise OpsError("Alert setting channels must be a list of channels, each {\"type\": TYPE, ...}.")
    base = {"timeout": defaults["webhook_timeout"], "retries": defaults["webhook_retries"]}
    checked = [_one(channel, index, base) for index, channel in enumerate(channels)]
    seen = set()
    for conf in checked:
        if conf["name"] in seen:
            _fail("%s (%s)" % (conf["name"], conf["type"]), "another channel has this name; give each channel its own name.")
        seen.add(conf["name"])
    if defaults.get("webhook_url_file") and "slack" in seen:
        raise OpsError("Alert channel slack: webhook_url_file is already the channel named slack; name this one differently.")
    return checked


def configured(conf):
    """Every channel of validated alert settings: alerts.channels, plus webhook_url_file
    (today's setting) as the slack channel named "slack"."""
    result = list(conf.get("channels") or [])
    if conf.get("webhook_url_file"):
        result.insert(0, {"type": "slack", "name": "slack", "url_file": conf["webhook_url_file"], "ca_file": "",
                          "timeout": conf["webhook_timeout"], "retries": conf["webhook_retries"], "legacy": True})
    return result


def secret_files(channel):
    """The secret files a channel reads (for refuse_unusable_paths and the role)."""
    return [channel[k] for k in sorted(channel) if k.endswith("_file") and k != "ca_file" and channel[k]]


# The role's twzrd_ops_alerts_channels give secrets as values; the role writes each to
# CONFIG_DIR/channel-NAME-KEY (0600) and config.json gets KEY_file (tasks/channels.yml).
ROLE_SECRETS = {"alertmanager": ("token", "password"), "pagerduty": ("routing_key",), "telegram": ("token",), "discord": ("url",),
                "slack": ("url",), "webhook": ("url", "token"), "ntfy": ("token",), "email": ("password",)}


def from_role(channels, config_dir, defaults):
    """The role variable's channels as config.json holds them, checked: (channels, [(file,
    secret), ...]). Mirrors tasks/channels.yml, so that the role's validate step (settings.py)
    refuses a bad channel before anything is written. Raises OpsError (never showing a secret)."""
    if channels in (None, ""):
        return [], []
    if not isinstance(channels, list):
        raise OpsError("twzrd_ops_alerts_channels must be a list of channels, each {\"type\": TYPE, ...}.")
    converted, secrets = [], []
    for index, channel in enumerate(channels):
        if not isinstance(channel, dict) or channel.get("type") not in ROLE_SECRETS:
            raise OpsError("Alert channel #%d must be a mapping with a type (one of %s)." % (index + 1, ", ".join(TYPES)))
        name = channel.get("name") or channel["type"]
        if not isinstance(name, str) or not _NAME.match(name):
            _fail("#%d" % (index + 1), "name must be a word of letters, digits, '.', '_' or '-' (at most 64).")
        conf = dict(channel)
        for key in ROLE_SECRETS[channel["type"]]:
            if key in conf:
                path = "%s/channel-%s-%s" % (config_dir.rstrip("/"), name, key)
                secret = conf.pop(key)
                if not isinstance(secret, str) or not secret.strip() or "\n" in secret.strip():
                    _fail("%s (%s)" % (name, channel["type"]), "%s must be one line of text (the value is not shown)." % key)
                conf[key + "_file"] = path
                secrets.append((path, secret.strip()))
        converted.append(conf)
    return validate_channels(converted, defaults), secrets
