# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet view from Prometheus (issue 23): no task per host.

Every host's hourly `twzrd-ops alerts` run writes the twzrd_ops_* textfile metrics
(alert_delivery.render_textfile) that node_exporter exposes and Prometheus scrapes. One
instant query of Prometheus's HTTP API ({__name__=~"twzrd_ops_.*"}) returns them for the whole
fleet; host_results() turns the series into the per-host results of the fleet report (the
shape of hostcheck.host_result), so weekly-health's report, summary and exit code stay the same.

A host is matched by the series' instance label without its port (node_exporter's
"web-1:9100" is host web-1) or by the label named in `label`. A host without series is
unreachable ("no twzrd_ops metrics in Prometheus"); a host whose last hourly run is older than
stale_after, or failed, is unknown with the reason; otherwise its verdict is the most severe of
its active alerts that no silence covers. Pure except fetch() (module_utils/http_fetch.py, the one
deadline-bounded HTTP exchange; time injected).
"""

from __future__ import annotations

import http.client
import re
import urllib.parse

from . import http_fetch, jsondoc
from .common import OpsError, duration

QUERY = '{__name__=~"twzrd_ops_.*"}'
# An hourly job's metrics older than this are stale: the job (or the host) has stopped.
STALE_AFTER = 2 * 3600
# The query's answer is read whole, up to this size: about 1.9 KB a host with three apps
# (measured against a real Prometheus), so some 8,000 hosts; beyond, the hosts' own reports.
ANSWER_LIMIT = 16 * 1024 * 1024
HOST_BYTES = 2 * 1024
LEVELS = ("ok", "warning", "critical")
_PORT = re.compile(r":[0-9]+$")
_CREDENTIALS = re.compile(r"//[^/@]*@")


def safe_url(url):
    """The URL without user:password@ (never in a message)."""
    return _CREDENTIALS.sub("//", str(url))


def fetch(base_url, timeout=10.0):
    """The result list of one instant query of QUERY against Prometheus at base_url (http or
    https; user:password@ in the URL is sent as basic authentication), through http_fetch,
    the collection's one deadline-bounded exchange: timeout bounds the whole answer, a
    redirect to another origin is not followed, the body is bounded."""
    if not re.match(r"^https?://\S+$", str(base_url or "")):
        raise OpsError("twzrd_ops_fleet_prometheus_url must be the http(s) URL of Prometheus, got '%s'." % safe_url(base_url))
    where = safe_url(base_url)
    parts = urllib.parse.urlsplit(str(base_url))
    url = urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/api/v1/query",
                                                 query=urllib.parse.urlencode({"query": QUERY}), fragment=""))
    try:
        status, data, truncated = http_fetch.fetch(url, headers={"Accept": "application/json"}, timeout=timeout, limit=ANSWER_LIMIT)
    except (http_fetch.Failure, OSError, http.client.HTTPException, ValueError) as exc:
        failure = exc if isinstance(exc, http_fetch.Failure) else http_fetch.classify(exc, url, timeout)
        raise OpsError("Cannot reach Prometheus at %s (%s); check twzrd_ops_fleet_prometheus_url."
                       % (where, _why(failure, timeout, parts.password)))
    if status != 200:
        raise OpsError("Prometheus at %s answered HTTP %s; check twzrd_ops_fleet_prometheus_url." % (where, status))
    if truncated:
        raise OpsError("Prometheus at %s answered more than the %d MiB one fetch reads (about %d hosts' metrics); "
                       "run the fleet report with twzrd_ops_fleet_source=hosts." % (where, ANSWER_LIMIT // 1024 // 1024, ANSWER_LIMIT // HOST_BYTES))
    try:
        body = jsondoc.loads(data.decode("utf-8"))
    except ValueError:
        raise OpsError("Prometheus at %s did not answer JSON; check twzrd_ops_fleet_prometheus_url." % where)
    if not isinstance(body, dict) or body.get("status") != "success" or not isinstance(body.get("data"), dict):
        raise OpsError("Prometheus at %s refused the query (%s)." % (where, body.get("error") if isinstance(body, dict) else "not an API answer"))
    return body["data"].get("result") or []


def _why(failure, timeout, password):
    """What went wrong, in words without the URL (http_fetch's sentence names it with its user)."""
    if failure.reason == "timeout":
        return "no answer within %g seconds" % float(timeout)
    if failure.reason == "redirect":
        return "it redirected elsewhere and the redirect was not followed"
    if failure.reason == "incomplete body":
        return "the answer was cut short"
    cause = re.search(r"\(([^()]*)\)\.?$", failure.message)
    text = cause.group(1) if cause else failure.reason
    return text.replace(password, "********") if password else text


def _host_of(metric, label):
    value = str(metric.get(label) or "")
    return _PORT.sub("", value) if label == "instance" else value


def _group(series, label):
    """{host: {metric name: [(labels, value)]}} from the query's result list."""
    hosts = {}
    for item in series:
        if not isinstance(item, dict) or not isinstance(item.get("metric"), dict):
            continue
        metric = item["metric"]
        host = _host_of(metric, label)
        try:
            value = float((item.get("value") or [None, None])[1])
        except (TypeError, ValueError, IndexError):
            continue
        if host:
            hosts.setdefault(host, {}).setdefault(metric.get("__name__"), []).append((metric, value))
    return hosts


def _one(metrics, name):
    values = [v for _labels, v in metrics.get(name) or []]
    return values[0] if values else None


def host_result(metrics, now, stale_after=STALE_AFTER):
    """One host's fleet-report result from its twzrd_ops_* series."""
    if not metrics:
        return {"state": "unreachable", "error": "no twzrd_ops metrics in Prometheus for this host (is its hourly alerts job "
                                                 "writing the textfile and node_exporter scraped?)"}
    last = _one(metrics, "twzrd_ops_last_run_timestamp_seconds")
    if last is None:
        return {"state": "failed", "error": "Prometheus has no twzrd_ops_last_run_timestamp_seconds for this host."}
    if now - last > stale_after:
        return {"state": "failed", "error": "the host's last hourly alerts run was %s ago (stale metrics; is its cron job running?)"
                                            % duration(now - last)}
    if _one(metrics, "twzrd_ops_last_run_success") == 0:
        reasons = [labels.get("reason") for labels, _v in metrics.get("twzrd_ops_last_run_failure_info") or []]
        return {"state": "failed", "error": "the host's last hourly alerts run failed%s" % (": %s" % reasons[0] if reasons and reasons[0] else "")}
    findings = []
    for labels, value in metrics.get("twzrd_ops_alert_active") or []:
        level = labels.get("level")
        if value != 1 or level not in LEVELS or str(labels.get("silenced")) == "1":
            continue
        key = labels.get("key") or labels.get("rule") or "alert"
        findings.append({"rule": labels.get("rule"), "key": key, "level": level,
                         "message": "Alert %s is active (%s) since the hourly run." % (key, level), "value": None})
    findings.sort(key=lambda f: (-LEVELS.index(f["level"]), f["key"]))
    verdict = findings[0]["level"] if findings else "ok"
    apps = dict((labels.get("app"), value == 1) for labels, value in metrics.get("twzrd_ops_pm2_app_up") or [])
    swap = _one(metrics, "twzrd_ops_swap_used_ratio")
    load = [v for labels, v in metrics.get("twzrd_ops_load_per_core") or [] if labels.get("period") == "load1"]
    system = {"swap": {"percent": round(swap * 100.0, 1) if swap is not None else None},
              "memory": {"available": _one(metrics, "twzrd_ops_memory_available_bytes")},
              "load": {"per_core": {"load1": load[0] if load else None}}}
    pm2 = {"installed": True, "processes": None,
           "summary": {"online": sum(1 for up in apps.values() if up), "total": len(apps),
                       "not_online": sorted(name for name, up in apps.items() if not up)}} if apps else None
    snapshot = {"system": system, "source": "prometheus", "last_run": last}
    if pm2:
        snapshot["pm2"] = pm2
    return {"state": "checked", "verdict": verdict, "findings": findings, "snapshot": snapshot}


def host_results(series, hosts, now, label="instance", stale_after=STALE_AFTER):
    """{host: result} for every host of the run (in the play's names), from the query's series."""
    grouped = _group(series, label)
    return dict((str(host), host_result(grouped.get(str(host)), now, stale_after)) for host in hosts)
