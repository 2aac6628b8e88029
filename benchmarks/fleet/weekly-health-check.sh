#!/usr/bin/env bash
# The runbook's Monday health check as a plain bash script: the baseline that
# benchmarks/fleet_bench.py measures playbooks/weekly-health.yml against. It does what the
# runbook's weekly script does, once, on the host it runs on (as root):
#   PM2 process list of the PM2 user, memory/swap (free -h), load (uptime), disk (df -h),
#   the health endpoint (curl), a 7-day scan of PM2's error logs (grep), report to a file.
# Baked into the benchmark image as /usr/local/sbin/weekly-health-check.sh.
set -u
PM2_USER=${PM2_USER:-twzrd}
HEALTH_URL=${HEALTH_URL:-http://localhost:8080/health}
REPORT_DIR=${REPORT_DIR:-/var/tmp}
PATTERN='ERROR|FATAL|Exception|Unhandled|ECONNREFUSED|ETIMEDOUT'
REPORT="$REPORT_DIR/weekly-health-report-$(date -u +%F).txt"
PM2_LOGS=$(getent passwd "$PM2_USER" | cut -d: -f6)/.pm2/logs

{
  echo "=== Weekly health check: $(hostname) $(date -u '+%F %T') UTC ==="
  echo
  echo "--- PM2 ($PM2_USER) ---"
  su - "$PM2_USER" -c 'pm2 list' 2>&1
  echo
  echo "--- Memory / swap ---"
  free -h
  echo
  echo "--- Load ---"
  uptime
  echo
  echo "--- Disk ---"
  df -h / /var/log
  echo
  echo "--- Health endpoint $HEALTH_URL ---"
  if body=$(curl -fsS -m 5 "$HEALTH_URL" 2>&1); then echo "OK $body"; else echo "FAILED $body"; fi
  echo
  echo "--- Error lines in PM2 error logs changed in the last 7 days ---"
  total=0
  while IFS= read -r -d '' f; do
    n=$(grep -c -i -E "$PATTERN" "$f")
    echo "$n $f"
    total=$((total + n))
  done < <(find "$PM2_LOGS" -name '*-error*.log' -mtime -7 -print0 2>/dev/null)
  echo "total: $total"
} >"$REPORT" 2>&1
echo "report: $REPORT"
