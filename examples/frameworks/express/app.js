// Express 5 under supervise: export the app (a request listener) and call no listen();
// the workers own the sockets and their reloads.
import express from 'express';

const app = express();
app.use(express.json());

app.get('/', (req, res) => {
  res.json({ framework: 'express', worker: Number(process.env.TSGI_WORKER_ID) });
});

app.post('/echo', (req, res) => {
  res.json({ received: req.body });
});

// Express's own error handling answers 500; the worker carries on.
app.get('/error', () => {
  throw new Error('route failed');
});

// A throw Express cannot catch (in a callback): supervise answers 500 for this request,
// counts it in the stats' `exceptions`, and replaces the worker, its successor first.
app.get('/crash', () => {
  setTimeout(() => {
    throw new Error('thrown outside Express');
  });
});

export default app;
