'use strict';
// bench/router.mjs's app: `/` answers at once; `/cpu` holds the event loop for CPU_MS (default 50) first.
const cpuMs = Number(process.env.CPU_MS || 50);
module.exports = function routerApp(req, res) {
  if (req.url.startsWith('/cpu')) {
    const until = Date.now() + cpuMs;
    while (Date.now() < until) {} // a CPU-bound request: nothing else runs in this worker meanwhile
  }
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end('hello world\n');
};
