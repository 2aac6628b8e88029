// Demo app for twzrd.ops tests: a background worker with no port that stays up and
// logs a line every LOG_EVERY_MS milliseconds (default 60000).
'use strict';
const every = parseInt(process.env.LOG_EVERY_MS || '60000', 10);
console.log(`worker.js started (pid ${process.pid})`);
setInterval(() => console.log(`worker.js tick ${new Date().toISOString()}`), every);
