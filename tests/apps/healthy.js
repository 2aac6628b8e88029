// Demo app for twzrd.ops tests: an HTTP service on loopback.
// PORT (required) picks the port; GET /health answers {"status": "ok", ...} as JSON,
// anything else 404. HEALTH_STATUS overrides the reported status (to break health on purpose).
'use strict';
const http = require('http');

const port = parseInt(process.env.PORT || '', 10);
if (!port) {
  console.error('ERROR healthy.js needs PORT in its environment');
  process.exit(2);
}
const started = Date.now();

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    const body = JSON.stringify({
      status: process.env.HEALTH_STATUS || 'ok',
      pid: process.pid,
      uptime_ms: Date.now() - started,
    });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(body);
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found\n');
});

server.listen(port, process.env.HOST || '127.0.0.1', () => {
  console.log(`healthy.js listening on ${process.env.HOST || '127.0.0.1'}:${port}`);
});

// Close the listener on PM2's stop signal so a restart can bind the port again at once.
// In cluster mode the master may already have handed this worker a connection that is still
// in the IPC channel: exiting at once loses it and its client hangs (seen once in ~30 reloads
// of a 2-instance app). Staying up half a second lets the closed server hand it back to the
// master, which gives it to the other instance: the graceful shutdown a cluster app needs.
const cluster = require('cluster');
process.on('SIGINT', () => server.close(() => {
  if (cluster.isWorker) {
    setTimeout(() => process.exit(0), 500);
  } else {
    process.exit(0);
  }
}));
