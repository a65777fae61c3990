// A TypeScript app, run as it is: `node-args = --import tsx` in app.ini has every
// worker load tsx before the app (npm install --save-dev tsx).
import type { IncomingMessage, ServerResponse } from 'node:http';

interface Greeting {
  worker: number;
  language: 'TypeScript';
}

const greeting = (worker: number): Greeting => ({ worker, language: 'TypeScript' });

export default function app(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(greeting(Number(process.env['TSGI_WORKER_ID']))));
}
