// A plain Node request listener: no signal code, no server of its own.
// supervise owns the sockets, the workers and their reloads.
export default function app(req, res) {
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(`hello from worker ${process.env.TSGI_WORKER_ID} (pid ${process.pid})\n`);
}
