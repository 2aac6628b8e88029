// Demo app for twzrd.ops tests: dies at start-up (exit code 1, an ERROR line on stderr),
// so PM2 restarts it again and again: a crash loop.
'use strict';
console.error(`ERROR crash.js: cannot start (pid ${process.pid})`);
process.exit(1);
