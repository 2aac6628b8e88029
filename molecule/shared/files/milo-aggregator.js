// milo-aggregator: the demo app of the molecule scenarios, standing in for the runbook's
// service of the same name. It answers GET /health on PORT (default 8080) with JSON
// {"status": "ok", ...}. Tests break it on purpose without touching PM2:
//   - while the file MILO_BROKEN_FILE (default /tmp/milo-broken) exists, /health answers
//     500 {"status": "broken"} and each request logs an ERROR line to stderr;
//   - when the file MILO_CRASH_FILE (default /tmp/milo-crash) exists at start-up, the app
//     exits with code 1 straight away, so PM2 restarts it again and again (a crash loop).
'use strict';

const fs = require('fs');
const http = require('http');

const port = parseInt(process.env.PORT || '8080', 10);
const brokenFile = process.env.MILO_BROKEN_FILE || '/tmp/milo-broken';
const crashFile = process.env.MILO_CRASH_FILE || '/tmp/milo-crash';
const started = Date.now();

if (fs.existsSync(crashFile)) {
  console.error(new Date().toISOString() + ' ERROR milo-aggregator: ' + crashFile + ' exists, exiting');
  process.exit(1);
}

const server = http.createServer((req, res) => {
  if (req.url !== '/health') {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found' }));
    return;
  }
  const broken = fs.existsSync(brokenFile);
  if (broken) {
    console.error(new Date().toISOString() + ' ERROR milo-aggregator: health check failed (' + brokenFile + ')');
  }
  res.writeHead(broken ? 500 : 200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({
    status: broken ? 'broken' : 'ok',
    service: 'milo-aggregator',
    pid: process.pid,
    uptime_s: Math.round((Date.now() - started) / 1000),
  }));
});

server.listen(port, () => {
  console.log(new Date().toISOString() + ' milo-aggregator listening on ' + port);
});

process.on('SIGINT', () => server.close(() => process.exit(0)));
