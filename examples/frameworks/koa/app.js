// Koa 3 under supervise: export app.callback(), the request listener; no listen().
import Koa from 'koa';
import { json } from 'node:stream/consumers';

const app = new Koa();

const routes = {
  'GET /': (ctx) => {
    ctx.body = { framework: 'koa', worker: Number(process.env.TSGI_WORKER_ID) };
  },
  'POST /echo': async (ctx) => {
    ctx.body = { received: await json(ctx.req) };
  },
  // Koa's own error handling answers 500; the worker carries on.
  'GET /error': () => {
    throw new Error('route failed');
  },
  // A throw Koa cannot catch (in a callback): supervise answers 500, counts it in
  // `exceptions` and replaces the worker, its successor first.
  'GET /crash': () =>
    new Promise(() => {
      setTimeout(() => {
        throw new Error('thrown outside Koa');
      });
    }),
};

app.use(async (ctx, next) => {
  const route = routes[`${ctx.method} ${ctx.path}`];
  return route ? route(ctx) : next();
});

export default app.callback();
