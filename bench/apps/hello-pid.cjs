'use strict';
// The handler of bench/reload.mjs: like examples/hello/server.js, the body names the
// worker and its pid so the load client can count how many distinct processes served.
// Worker id: tsgi's TSGI_WORKER_ID, PM2's NODE_APP_INSTANCE, or node:cluster's worker id.
let cluster = null;
try { cluster = require('node:cluster'); } catch { /* not in a cluster */ }
const id =
  process.env.TSGI_WORKER_ID ??
  process.env.NODE_APP_INSTANCE ??
  (cluster && cluster.isWorker ? String(cluster.worker.id) : undefined) ??
  '?';
module.exports = function helloPid(req, res) {
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(`hello from worker ${id} (pid ${process.pid})\n`);
};
