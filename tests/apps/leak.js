// Test app for twzrd.ops: a memory leak at a known rate. It allocates and holds
// LEAK_KIB KiB (default 1024) every LEAK_EVERY_MS ms (default 250), filled so the pages are
// really resident. Allocation catches up with the clock (elapsed time x rate), so a busy
// machine that delays timers does not slow the leak: the rate is LEAK_KIB / LEAK_EVERY_MS.
'use strict';
const kib = parseInt(process.env.LEAK_KIB || '1024', 10);
const every = parseInt(process.env.LEAK_EVERY_MS || '250', 10);
const held = [];
const start = Date.now();
console.log(`leak.js started (pid ${process.pid}): ${kib} KiB every ${every} ms`);
setInterval(() => {
  const due = Math.floor((Date.now() - start) / every);
  while (held.length < due) {
    held.push(Buffer.alloc(kib * 1024, held.length % 251 + 1));
  }
}, Math.max(10, Math.floor(every / 2)));
