// Fastify 5 under supervise: Fastify's serverFactory hands over its request handler,
// which the module exports; the server it makes is never listened on (the workers own
// the sockets).
import http from 'node:http';
import Fastify from 'fastify';

let handler;
const app = Fastify({
  serverFactory: (h) => {
    handler = h;
    return http.createServer(h);
  },
});

app.get('/', async () => ({ framework: 'fastify', worker: Number(process.env.TSGI_WORKER_ID) }));

app.post('/echo', async (request) => ({ received: request.body }));

// Fastify's error handler answers 500; the worker carries on.
app.get('/error', async () => {
  throw new Error('route failed');
});

// A throw Fastify cannot catch (in a callback): supervise answers 500, counts it in
// `exceptions` and replaces the worker, its successor first.
app.get('/crash', () => {
  setTimeout(() => {
    throw new Error('thrown outside Fastify');
  });
});

await app.ready(); // plugins and routes loaded before the worker counts as ready
export default handler;
