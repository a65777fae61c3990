'use strict';
// The app PM2 runs in cluster mode (`pm2 start pm2-app.cjs -i N`): PM2's God daemon is
// the node:cluster primary (default scheduling, i.e. round-robin on Linux), this file is
// the worker. It listens on the port from the environment, like PM2 apps do.
//
// BENCH_GRACEFUL=1 (the default of the benchmarks) adds the shutdown PM2's documentation
// recommends (https://pm2.keymetrics.io/docs/usage/signals-clean-restart/): on SIGINT,
// stop accepting and exit once the server has closed. PM2 SIGKILLs after kill_timeout
// (1600 ms) anyway.
const http = require('node:http');
const path = require('node:path');

const handler = require(path.join(__dirname, process.env.BENCH_HANDLER || 'hello.cjs'));
const port = Number(process.env.PORT);
if (!port) throw new Error('PORT is not set');

const server = http.createServer(handler);
server.listen(port, '127.0.0.1');

if (process.env.BENCH_GRACEFUL !== '0') {
  process.on('SIGINT', () => {
    server.close(() => process.exit(0));
  });
}
