// The app of bench/cheaper.mjs: every answer names the worker and its pid, in the same
// words as hello-pid.cjs (`hello from worker X (pid P)`), so a client can tell when a new
// worker starts serving, and lib/load-client.mjs accepts its body.
//
//   GET /            answers at once
//   GET /sleep?ms=N  answers after N ms (default 100) without blocking the event loop:
//                    a request in flight, an idle loop (what `cheaper-algo = spare` counts)
//   GET /spin?ms=N   burns N ms (default 20) of CPU, blocking the event loop (what
//                    `cheaper-algo = busyness` measures), then answers
//
// No top-level await: the worker is ready as soon as the module is loaded, so a wake-up
// measurement times tsgi, not the app. (test/fixtures/node-listener.mjs has similar
// routes but waits 50 ms at load on purpose, for the e2e tests.)
const id = process.env.TSGI_WORKER_ID ?? '?';
const body = `hello from worker ${id} (pid ${process.pid})\n`;

function param(url, name, dflt) {
  const q = url.indexOf('?');
  if (q === -1) return dflt;
  const v = Number(new URLSearchParams(url.slice(q + 1)).get(name));
  return Number.isFinite(v) && v >= 0 ? v : dflt;
}

function answer(res) {
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(body);
}

export default function cheaperApp(req, res) {
  const url = req.url ?? '/';
  if (url.startsWith('/sleep')) {
    setTimeout(answer, param(url, 'ms', 100), res);
    return;
  }
  if (url.startsWith('/spin')) {
    const until = performance.now() + param(url, 'ms', 20);
    while (performance.now() < until) { /* burn CPU: the event loop is blocked */ }
    answer(res);
    return;
  }
  answer(res);
}
