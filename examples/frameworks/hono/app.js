// Hono 4 under supervise, through @hono/node-server's request listener (a Hono app
// exported as it is, an object with fetch(), works too: supervise adapts it).
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';

const app = new Hono();

app.get('/', (c) => c.json({ framework: 'hono', worker: Number(process.env.TSGI_WORKER_ID) }));

app.post('/echo', async (c) => c.json({ received: await c.req.json() }));

// Hono's onError answers 500; the worker carries on.
app.get('/error', () => {
  throw new Error('route failed');
});

// A throw Hono cannot catch (in a callback): supervise answers 500, counts it in
// `exceptions` and replaces the worker, its successor first.
app.get(
  '/crash',
  () =>
    new Promise(() => {
      setTimeout(() => {
        throw new Error('thrown outside Hono');
      });
    }),
);

export default getRequestListener(app.fetch);
