# -*- coding: utf-8 -*-
# Copyright (c) 2026, twzrd.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side filters that fold per-host results into fleet reports.

Every playbook that reports on a fleet stores one result per host in a fact (see
playbooks/weekly-health.yml); fleet_rows() reads those facts for every host the play
targeted, so a host that was unreachable or whose checks failed is listed, never dropped.
The documentation of each filter is in plugins/filter/NAME.yml.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.twzrd.ops.plugins.module_utils import escape, hostcheck
from ansible_collections.twzrd.ops.plugins.module_utils.common import duration, plain
from ansible_collections.twzrd.ops.plugins.module_utils.common import LEVELS
from ansible_collections.twzrd.ops.plugins.module_utils.history import wow_rows
from ansible_collections.twzrd.ops.plugins.module_utils.version import VERSION

# Verdicts beyond checks.verdict(): the host could not be reached, or its checks could not run.
HOST_STATES = ("ok", "warning", "critical", "unknown", "unreachable")
# Verdicts that make a scheduled run fail (twzrd_ops_fail_on_critical).
FAILING = ("critical", "unknown", "unreachable")
# Table cells keep the top finding to this many characters; the reports' findings list has it whole.
TOP_FINDING_WIDTH = 120
# A cell of text_table keeps this many characters of its value (a top finding whole).
CELL_WIDTH = TOP_FINDING_WIDTH


def _get(data, *path):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _part(snapshot, name):
    part = _get(snapshot, name)
    if not isinstance(part, dict) or "error" in part:
        return None
    return part


def _fmt(value, pattern, suffix=""):
    if value is None:
        return "-"
    try:
        return (pattern % value) + suffix
    except (TypeError, ValueError):
        return str(value)


def _shorten(text, limit=TOP_FINDING_WIDTH):
    """One line of at most limit characters (connection errors can run to a paragraph)."""
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _health_cell(health):
    if health is None:
        return "-"
    if health.get("healthy"):
        return _fmt(health.get("latency_ms"), "ok %.0f", " ms")
    return "FAIL (%s)" % (health.get("reason") or "unhealthy")


def host_row(host, result):
    """One fleet row from a host's stored result (None when the host never reported)."""
    result = result if isinstance(result, dict) else {}
    snapshot = result.get("snapshot") if isinstance(result.get("snapshot"), dict) else {}
    findings = result.get("findings") if isinstance(result.get("findings"), list) else []
    state = result.get("state") or "unreachable"
    if state == "checked":
        verdict = result.get("verdict") if result.get("verdict") in LEVELS else "unknown"
    elif state == "failed":
        verdict = "unknown"
    else:
        verdict = "unreachable"
    error = result.get("error") or ("host did not report (unreachable)" if verdict == "unreachable" else None)

    system = _part(snapshot, "system") or {}
    pm2 = _part(snapshot, "pm2")
    health = _get(snapshot, "health")
    summary = (pm2 or {}).get("summary") or {}
    crash_part = _part(snapshot, "crashes_report_window")
    crashes = sum(int(v or 0) for v in (crash_part or {}).get("crashes", {}).values()) if crash_part else None

    row = {
        "host": str(host),
        "verdict": verdict,
        "error": str(error) if error else None,
        "memory_percent": _get(system, "memory", "percent"),
        "swap_percent": _get(system, "swap", "percent"),
        "swap_configured": _get(system, "swap", "configured"),
        "load_per_core": _get(system, "load", "per_core", "load1"),
        "load1": _get(system, "load", "load1"),
        "cpu_count": system.get("cpu_count"),
        "pm2_online": summary.get("online") if pm2 is not None and pm2.get("installed", True) else None,
        "pm2_total": summary.get("total") if pm2 is not None and pm2.get("installed", True) else None,
        "pm2_not_online": list(summary.get("not_online") or []) + list(summary.get("missing") or []),
        "crashes": crashes,
        "crash_window": (crash_part or {}).get("window"),
        # The crash window every view judges a crash loop in (status.yml shows it).
        "recent_crashes": sum(int(v or 0) for v in (summary.get("crashes") or {}).values()) if summary.get("crash_window") else None,
        "recent_window": summary.get("crash_window") or None,
        "restarts": sum(int(p.get("restarts") or 0) for p in (pm2 or {}).get("processes") or [] if isinstance(p, dict))
        if pm2 is not None and pm2.get("processes") is not None else None,
        "health_healthy": health.get("healthy") if isinstance(health, dict) else None,
        "health_latency_ms": health.get("latency_ms") if isinstance(health, dict) else None,
        "health_reason": health.get("reason") if isinstance(health, dict) else None,
        "top_finding": findings[0].get("message") if findings else (str(error) if error else ""),
        "findings": [
            {k: f.get(k) for k in ("rule", "key", "level", "message", "value")} for f in findings if isinstance(f, dict)
        ],
        "report": result.get("report"),
    }
    pm2_cell = "-"
    if row["pm2_total"] is not None:
        pm2_cell = "%s/%s" % (row["pm2_online"], row["pm2_total"])
    elif pm2 is not None and not pm2.get("installed", True):
        pm2_cell = "none"
    elif isinstance(snapshot.get("pm2"), dict) and snapshot["pm2"].get("error"):
        pm2_cell = "error"
    row["display"] = {
        "verdict": verdict.upper(),
        "memory": _fmt(row["memory_percent"], "%.0f", "%"),
        "swap": "no swap" if row["swap_configured"] is False else _fmt(row["swap_percent"], "%.1f", "%"),
        "load": _fmt(row["load_per_core"], "%.2f"),
        "pm2": pm2_cell,
        "crashes": _fmt(row["crashes"], "%d"),
        "recent_crashes": "-" if row["recent_crashes"] is None else "%d in %s" % (row["recent_crashes"], duration(row["recent_window"])),
        "restarts": _fmt(row["restarts"], "%d"),
        "health": _health_cell(health) if isinstance(health, dict) else "-",
        "latency": _fmt(row["health_latency_ms"], "%.0f", " ms"),
        "top_finding": _shorten(row["top_finding"]) or "-",
    }
    # The host's history (history.summary(), the contract of the HTML report) unchanged, and
    # its week-over-week rows with arrows and deltas for the Markdown report (judged in Python).
    history = result.get("history") if isinstance(result.get("history"), dict) else None
    row["history"] = history
    trends = [t.get("message") for t in (history or {}).get("trends") or [] if isinstance(t, dict)]
    week_over_week = wow_rows(history) if history and history.get("available") else []
    # The reports show at most escape.LIST_LIMIT items of each list, then "and N more".
    row["display"]["findings"] = escape.head(row["findings"])
    row["display"]["findings_more"] = escape.more(row["findings"])
    row["display"]["trends"] = escape.head(trends)
    row["display"]["trends_more"] = escape.more(trends)
    row["display"]["week_over_week"] = escape.head(week_over_week)
    row["display"]["week_over_week_more"] = escape.more(week_over_week)
    row["display"]["history_reason"] = (history or {}).get("reason") or ("" if history else "no history reported")
    return row


def host_results(hostvars, hosts, fact, registered=False):
    """[{host, result}] for the hosts (in order, once each) that carry the fact.

    The playbooks set the fact first thing on every host they target (state unreachable
    until the host reports), so hosts without it were not targeted and are left out, while
    hosts that dropped out of the play are kept with the state they reached.
    registered: the fact is a registered twzrd.ops.host_check result (ignore_unreachable,
    ignore_errors), read through hostcheck.host_result (so no per-host set_fact is needed).
    """
    if isinstance(hosts, str):
        hosts = [hosts]
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("Expected a list of host names, got %s." % type(hosts).__name__)
    found = []
    seen = set()
    for host in hosts:
        if host in seen:
            continue
        seen.add(host)
        try:
            result = hostvars[host].get(fact)
        except (KeyError, AttributeError, TypeError):
            result = None
        if isinstance(result, dict):
            found.append({"host": str(host), "result": hostcheck.host_result(plain(result)) if registered else result})
    return found


def fleet_rows(hostvars, hosts, fact="__twzrd_ops_health", registered=False):
    """Fleet rows for the hosts that carry the fact (see host_results)."""
    return [host_row(entry["host"], entry["result"]) for entry in host_results(hostvars, hosts, fact, registered)]


def result_rows(results, hosts):
    """Fleet rows from {host: result} (the twzrd.ops.fleet_prometheus lookup), for every host
    given in order; a host without a result is unreachable."""
    if not isinstance(results, dict):
        raise AnsibleFilterError("result_rows expects a mapping of host to result, got %s." % type(results).__name__)
    if isinstance(hosts, str):
        hosts = [hosts]
    rows, seen = [], set()
    for host in hosts:
        if host not in seen:
            seen.add(host)
            rows.append(host_row(host, plain(results.get(host))))
    return rows


def fleet_document(rows, title="weekly health", date=None, generated=None, check_mode=False):
    """The fleet report as one JSON-ready document: counts, overall verdict, rows."""
    if not isinstance(rows, (list, tuple)):
        raise AnsibleFilterError("fleet_document expects the list from fleet_rows, got %s." % type(rows).__name__)
    counts = {state: 0 for state in HOST_STATES}
    for row in rows:
        counts[row.get("verdict") if row.get("verdict") in counts else "unknown"] += 1
    overall = "ok"
    for state in ("critical", "unreachable", "unknown", "warning"):
        if counts[state]:
            overall = state
            break
    hosts = []
    for row in rows:
        entry = {k: v for k, v in row.items() if k != "display"}
        hosts.append(entry)
    return {
        "version": VERSION,
        "title": str(title),
        "date": date,
        "generated": generated,
        "check_mode": bool(check_mode),
        "verdict": overall,
        "counts": counts,
        "failing_hosts": [row["host"] for row in rows if row.get("verdict") in FAILING],
        "hosts": hosts,
    }


def text_table(rows, columns, width=None):
    """Lines of a plain-text table: columns is a list of [header, display key]. Every cell
    goes through escape.term (controls and bidi characters shown, CELL_WIDTH characters at
    most), so one row stays one line of the terminal."""
    if not isinstance(rows, (list, tuple)) or not isinstance(columns, (list, tuple)):
        raise AnsibleFilterError("text_table expects a list of rows and a list of [header, key] columns.")
    header = [str(c[0]) for c in columns]
    body = []
    for row in rows:
        cells = row.get("display") or {} if isinstance(row, dict) else {}
        line = []
        for column in columns:
            value = cells.get(column[1], row.get(column[1]) if isinstance(row, dict) else None)
            line.append("-" if value is None else escape.term(value, CELL_WIDTH))
        body.append(line)
    widths = [max([len(header[i])] + [len(r[i]) for r in body]) for i in range(len(columns))]
    lines = []
    for cells in [header] + body:
        line = "  ".join(cells[i].ljust(widths[i]) for i in range(len(cells))).rstrip()
        if width:
            line = line[: int(width)]
        lines.append(line)
    return lines


def md_cell(value):
    """Text made safe for a Markdown table cell or list item (escape.md_cell: one line,
    markup and pipes escaped, controls shown, capped); "-" for nothing."""
    return escape.md_cell(value)


class FilterModule(object):
    """twzrd.ops fleet filters."""

    def filters(self):
        return {
            "host_results": host_results,
            "result_rows": result_rows,
            "fleet_rows": fleet_rows,
            "fleet_document": fleet_document,
            "text_table": text_table,
            "md_cell": md_cell,
        }
