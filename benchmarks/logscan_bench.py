"""Benchmark: log_scan's scanning core against `grep -c -i -E` on ~1 GiB of PM2-style logs.

    .venv/bin/python benchmarks/logscan_bench.py [--size-mib 1024] [--runs 3] [--match-ratio 0.125]

Generates PM2 error logs (PM2's `--time` prefix, stack traces, warnings, about one line
in eight matching the default patterns, or --match-ratio of them) into benchmarks/data/
once and reuses them (generated again when the size or the ratio differs).
The scan's CPU time includes its grep and wc children (the pre-filter, logfilter.py):
wait4 reports a child's usage together with the children it waited for.
Each measurement runs in its own process, timed by wall clock, with its peak RSS polled
from /proc/PID/status (VmHWM); the best of --runs is kept for both sides (warm page cache for both).
grep runs with LC_ALL=C (byte matching, its fastest mode, like the scanner's ASCII
case folding). Both sides must count the same lines or the benchmark fails.
Not a test: nothing here asserts a speed. Record the figures in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")
MANIFEST = os.path.join(DATA, "manifest.json")
APPS = ("milo-aggregator", "milo-api", "cls-worker-s0", "cls-worker-s1")
BLOCK = 8 << 20

MATCHING = (
    "Error: connect ECONNREFUSED 127.0.0.1:5432",
    "TypeError: Cannot read properties of undefined (reading 'id')",
    "[ERROR] upstream request failed status=502 path=/api/v1/orders",
    "UnhandledPromiseRejectionWarning: Error: socket hang up",
    "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    "uncaughtException: RangeError: Maximum call stack size exceeded",
    "request to https://api.example.org/v2/quotes failed, reason: ETIMEDOUT",
)
OTHER = (
    "    at Object.<anonymous> (/srv/milo/dist/index.js:42:17)",
    "    at processTicksAndRejections (node:internal/process/task_queues:95:5)",
    "    at async Promise.all (index 3)",
    "(node:1234) Warning: Possible EventEmitter memory leak detected. 11 listeners added",
    "[WARN] slow query took 1532ms on table orders",
    "retrying job 8823 in 5000ms (attempt 2/5)",
    "(node:1234) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues.",
    "GET /api/v1/items?page=3 took 812ms",
)


def generate(size_mib, match_ratio=0.125):
    """Write the logs unless a manifest for this size and ratio exists; return the manifest."""
    if os.path.exists(MANIFEST):
        with open(MANIFEST) as handle:
            manifest = json.load(handle)
        same = manifest["size_mib"] == size_mib and manifest.get("match_ratio", 0.125) == match_ratio
        if same and all(os.path.exists(p) for p in manifest["files"]):
            return manifest
    os.makedirs(DATA, exist_ok=True)
    rng = random.Random(20261127)
    per_file = size_mib * (1 << 20) // len(APPS)
    end = int(time.time())
    start = end - 6 * 86400  # everything inside a 7-day window that ends at `end`
    files = []
    for app in APPS:
        path = os.path.join(DATA, "%s-error.log" % app)
        files.append(path)
        written = 0
        epoch = start
        with open(path, "w", encoding="utf-8") as handle:
            while written < per_file:
                lines = []
                size = 0
                while size < BLOCK:
                    epoch += rng.random() * 0.2
                    prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(min(epoch, end)))
                    text = rng.choice(MATCHING) if rng.random() < match_ratio else rng.choice(OTHER)
                    line = "%s: %s\n" % (prefix, text)
                    lines.append(line)
                    size += len(line)
                chunk = "".join(lines)
                handle.write(chunk)
                written += len(chunk)
        os.utime(path, (end, end))
    manifest = {"size_mib": size_mib, "match_ratio": match_ratio, "files": files, "end": end}
    with open(MANIFEST, "w") as handle:
        json.dump(manifest, handle)
    return manifest


def _peak_kib(pid):
    """VmHWM of a running process: its peak RSS since exec (0 once it has exited).

    Read from /proc because ru_maxrss of a child also counts the memory of the process
    it was forked from, which would charge this script's own size to grep and the scanner.
    """
    try:
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(argv, env=None):
    """Run argv; return (wall seconds, CPU seconds (user + system), peak RSS in KiB, stdout).

    The peak is polled every 2 ms; it only grows, so the last reading before exit is the
    peak unless the process grew in its last 2 ms. CPU time is the steadier figure on a
    shared machine, where wall time also counts waiting for a core.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)
    peak = 0
    while True:
        peak = max(peak, _peak_kib(proc.pid))
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.002)
    elapsed = time.perf_counter() - started
    out = proc.stdout.read()
    proc.stdout.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # grep exits 1 when a file has no match
        raise SystemExit("%s failed with %s" % (argv[0], proc.returncode))
    return elapsed, usage.ru_utime + usage.ru_stime, peak, out.decode()


def scan_only(files, window_end, variant=""):
    """The measured child: the scanning core on files, result summary as JSON on stdout.

    variant "no-prefilter": the scan reading every file itself (the pre-filter off);
    "unjudged": grep's survivors counted without judging them again (NOT what ships: it
    shows what the re-judging of survivors costs)."""
    sys.path.insert(0, os.path.join(ROOT, ".ansible", "collections"))
    from ansible_collections.twzrd.ops.plugins.module_utils import logfilter, logscan

    if variant == "no-prefilter":
        logfilter.MIN_BYTES = 1 << 62
    elif variant == "unjudged":
        logfilter.judge = lambda block, keywords: (block.count(b"\n"), None)
        logfilter.Counter.count = lambda self, block: (block.count(b"\n"),) * 2

    if window_end:
        result = logscan.scan(files, now=window_end)
    else:
        result = logscan.scan(files, window_seconds=0)
    print(json.dumps({"total": result["total"], "lines_read": sum(f["lines_read"] for f in result["files"])}))


def floor_only(files):
    """The measured child for the pure-Python floor: what the scanner cannot avoid doing
    (read, fold case with bytes.lower, count the lines, one bytes.count per keyword) with no
    per-match work at all."""
    sys.path.insert(0, os.path.join(ROOT, ".ansible", "collections"))
    from ansible_collections.twzrd.ops.plugins.module_utils import logscan

    matcher = logscan.Matcher(list(logscan.DEFAULT_PATTERNS))
    hits = 0
    for path in files:
        with open(path, "rb") as handle:
            while True:
                data = handle.read(logscan.CHUNK_SIZE)
                if not data:
                    break
                folded = data.lower()
                hits += data.count(b"\n")
                hits += sum(folded.count(keyword) for keyword in matcher.keywords)
    print(json.dumps({"hits": hits}))


def best(runs, argv, env=None):
    """Best wall time, best CPU time, largest peak and the output over runs."""
    results = [measure(argv, env) for _run in range(runs)]
    return (min(r[0] for r in results), min(r[1] for r in results), max(r[2] for r in results), results[0][3])


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    grep_version = subprocess.run(["grep", "--version"], capture_output=True, text=True, check=False).stdout.splitlines()[0]
    return "nproc %d, CPU %s, Python %s, %s, %s" % (
        os.cpu_count(), model, platform.python_version(), grep_version, platform.platform()
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--match-ratio", type=float, default=0.125, help="the share of lines that match (default 1 in 8)")
    parser.add_argument("--scan-only", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--window-end", type=float, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="", help=argparse.SUPPRESS)
    parser.add_argument("--floor-only", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_only is not None:
        floor_only(args.floor_only)
        return
    if args.scan_only is not None:
        scan_only(args.scan_only, args.window_end, args.variant)
        return

    manifest = generate(args.size_mib, args.match_ratio)
    files = manifest["files"]
    total_bytes = sum(os.path.getsize(p) for p in files)
    sys.path.insert(0, os.path.join(ROOT, ".ansible", "collections"))
    from ansible_collections.twzrd.ops.plugins.module_utils.logscan import DEFAULT_PATTERNS

    pattern = "|".join(DEFAULT_PATTERNS)
    grep_env = dict(os.environ, LC_ALL="C")
    g_time, g_cpu, g_rss, g_out = best(args.runs, ["grep", "-c", "-i", "-E", pattern] + files, grep_env)
    grep_total = sum(int(line.rsplit(":", 1)[1]) for line in g_out.split())
    me = [sys.executable, os.path.abspath(__file__), "--scan-only"] + files
    s_time, s_cpu, s_rss, s_out = best(args.runs, me)
    scan_total = json.loads(s_out)["total"]
    w_time, w_cpu, w_rss, w_out = best(args.runs, me + ["--window-end", str(manifest["end"])])
    window_total = json.loads(w_out)["total"]
    f_time, f_cpu, f_rss, _f_out = best(args.runs, [sys.executable, os.path.abspath(__file__), "--floor-only"] + files)
    n_time, n_cpu, n_rss, n_out = best(args.runs, me + ["--variant", "no-prefilter"])
    nw_time, nw_cpu, nw_rss, nw_out = best(args.runs, me + ["--variant", "no-prefilter", "--window-end", str(manifest["end"])])
    u_time, u_cpu, u_rss, u_out = best(args.runs, me + ["--variant", "unjudged"])
    counts = [grep_total, scan_total, window_total] + [json.loads(out)["total"] for out in (n_out, nw_out, u_out)]
    if len(set(counts)) != 1:
        raise SystemExit("counts differ: grep, scan, scan with window, the same without pre-filter, unjudged: %s" % counts)

    mib = total_bytes / float(1 << 20)
    print("machine: %s" % machine())
    print("data: %d files, %.0f MiB, %d matching lines (ratio %g), patterns %s" % (len(files), mib, grep_total, args.match_ratio, pattern))
    rows = (
        ("grep -c -i -E (LC_ALL=C)", g_time, g_cpu, g_rss),
        ("log_scan core, no window", s_time, s_cpu, s_rss),
        ("log_scan core, 7-day window", w_time, w_cpu, w_rss),
        ("pure-Python floor (read, lower, count lines, 1 count/keyword)", f_time, f_cpu, f_rss),
        ("log_scan core without the pre-filter, no window", n_time, n_cpu, n_rss),
        ("log_scan core without the pre-filter, 7-day window", nw_time, nw_cpu, nw_rss),
        ("grep survivors counted, not judged again (not shipped)", u_time, u_cpu, u_rss),
    )
    for name, wall, cpu, rss in rows:
        print(
            "%-62s wall %6.2f s (%4.0f MiB/s)  cpu %6.2f s (%4.0f MiB/s)  ratio wall %.2f cpu %.2f  peak RSS %.1f MiB"
            % (name, wall, mib / wall, cpu, mib / cpu, g_time / wall, g_cpu / cpu, rss / 1024.0)
        )
    print("load average at the end: %s" % " ".join("%.2f" % v for v in os.getloadavg()))
    print("target: log_scan throughput >= 0.5 x grep, peak RSS < 64 MiB")


if __name__ == "__main__":
    main()
