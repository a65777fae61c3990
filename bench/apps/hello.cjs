'use strict';
// The one handler every contender serves in bench/throughput.mjs.
// A plain Node request listener: tsgi loads it as the app (default export),
// node:cluster and PM2 pass it to http.createServer().
module.exports = function hello(req, res) {
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end('hello world\n');
};
