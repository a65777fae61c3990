import type { StatsDocument } from '@tsgi/stats-protocol';

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  samples: [labels: string, value: number][];
}

/**
 * The stats document in Prometheus' text exposition format (version 0.0.4):
 * counters and gauges with a `worker` label per slot, so each host's
 * `/metrics` can be scraped as it is: beyond one machine, Prometheus collects and
 * alerts (examples/multi-host), so tsgi aggregates nothing itself.
 */
export function renderMetrics(doc: StatsDocument): string {
  const w = doc.workers;
  const per = (pick: (x: (typeof w)[number]) => number): [string, number][] =>
    w.map((x, i) => [`worker="${i + 1}"`, pick(x)]);
  const families: Family[] = [
    { name: 'tsgi_up', type: 'gauge', help: 'The master answers.', samples: [['', 1]] },
    { name: 'tsgi_listen_queue', type: 'gauge', help: 'Deepest accept queue of the listening sockets.', samples: [['', doc.listen_queue]] },
    {
      name: 'tsgi_socket_queue',
      type: 'gauge',
      help: 'Accept queue of each listening socket.',
      samples: doc.sockets.map((s) => [`socket="${escapeLabel(s.name)}"`, s.queue]),
    },
    {
      name: 'tsgi_socket_max_queue',
      type: 'gauge',
      help: 'Backlog limit of each listening socket.',
      samples: doc.sockets.map((s) => [`socket="${escapeLabel(s.name)}"`, s.max_queue]),
    },
    { name: 'tsgi_reloads_total', type: 'counter', help: 'Reloads since the master started.', samples: [['', doc.tsgi?.reloads ?? 0]] },
    { name: 'tsgi_worker_requests_total', type: 'counter', help: 'Requests completed by the worker slot.', samples: per((x) => x.requests) },
    { name: 'tsgi_worker_exceptions_total', type: 'counter', help: 'Uncaught app exceptions in the slot.', samples: per((x) => x.exceptions) },
    { name: 'tsgi_worker_tx_bytes_total', type: 'counter', help: 'Response bytes (headers and body) sent.', samples: per((x) => x.tx) },
    {
      name: 'tsgi_worker_running_time_seconds_total',
      type: 'counter',
      help: 'Time spent in requests.',
      samples: per((x) => x.running_time / 1e6),
    },
    { name: 'tsgi_worker_harakiri_total', type: 'counter', help: 'Workers killed for a stuck request.', samples: per((x) => x.harakiri_count) },
    { name: 'tsgi_worker_respawns_total', type: 'counter', help: 'Times the slot was (re)spawned.', samples: per((x) => x.respawn_count) },
    { name: 'tsgi_worker_avg_response_seconds', type: 'gauge', help: "uWSGI's avg_rt: (avg + rt) / 2.", samples: per((x) => x.avg_rt / 1e6) },
    { name: 'tsgi_worker_rss_bytes', type: 'gauge', help: 'Resident memory (with memory-report).', samples: per((x) => x.rss) },
    { name: 'tsgi_worker_vsz_bytes', type: 'gauge', help: 'Address space (with memory-report).', samples: per((x) => x.vsz) },
    {
      name: 'tsgi_worker_busy',
      type: 'gauge',
      help: '1 while the worker reads busy (as its stats status): a request in flight at its last report, or for at least half of the report interval.',
      samples: per((x) => (x.status === 'busy' ? 1 : 0)),
    },
    { name: 'tsgi_worker_running', type: 'gauge', help: '1 while the slot has a process.', samples: per((x) => (x.pid > 0 ? 1 : 0)) },
    { name: 'tsgi_worker_in_flight', type: 'gauge', help: 'Requests in progress.', samples: per((x) => x.in_flight ?? 0) },
    { name: 'tsgi_worker_server_error_responses_total', type: 'counter', help: 'Responses with a 5xx status sent by the slot.', samples: per((x) => x.responses_5xx ?? 0) },
    { name: 'tsgi_worker_upgraded', type: 'gauge', help: 'Open upgraded connections (WebSockets).', samples: per((x) => x.upgraded ?? 0) },
    { name: 'tsgi_worker_event_loop_utilization', type: 'gauge', help: 'Event-loop utilisation, 0 to 1.', samples: per((x) => x.elu ?? 0) },
    { name: 'tsgi_worker_cpu_percent', type: 'gauge', help: 'CPU use, percent of one core.', samples: per((x) => x.cpu ?? 0) },
  ];
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const [labels, value] of f.samples) out.push(`${f.name}${labels ? `{${labels}}` : ''} ${formatValue(value)}`);
  }
  return out.join('\n') + '\n';
}

function formatValue(v: number): string {
  return Number.isFinite(v) ? String(v) : 'NaN';
}

function escapeLabel(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
