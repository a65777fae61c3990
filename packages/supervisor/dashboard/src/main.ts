/**
 * The page's entry: one WebSocket to the stats server's `/ws` push, feeding the model,
 * drawn by the view. When the push stops (the master restarted, the network went away,
 * nothing came for three intervals) the page says so and connects again by itself, a
 * little later each time, up to every 5 s. The actions bar appears only when the server
 * has actions on; the token typed into it stays in this page's memory.
 */
import { DEFAULT_SORT, type ColumnId } from './columns.js';
import { DashboardModel } from './model.js';
import { DashboardView, type UiState } from './view.js';

/** Seconds between attempts to connect again: quick at first, then every 5 s. */
const RETRY_SECONDS = [0.5, 1, 2, 3, 5] as const;

const pushSeconds = Number(document.body.dataset.push) > 0 ? Number(document.body.dataset.push) : 1;
/** No snapshot for this long means the push is gone, even if the socket says nothing. */
const silenceMs = Math.max(5000, 3 * pushSeconds * 1000);

const model = new DashboardModel();
const ui: UiState = { sort: DEFAULT_SORT, reversed: false };
const view = new DashboardView(sortBy);
let failures = 0;

function draw(): void {
  view.render(model, ui, Date.now());
}

/** A click on the sorted column reverses it; on another, that column in its natural direction. */
function sortBy(id: ColumnId): void {
  if (ui.sort === id) ui.reversed = !ui.reversed;
  else Object.assign(ui, { sort: id, reversed: false });
  draw();
}

function connect(): void {
  // relative to the page, so that a proxy serving it under a path prefix works as well
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  let gone = false;
  let silence: number | undefined;
  const lost = (why: string): void => {
    if (gone) return;
    gone = true;
    window.clearTimeout(silence);
    model.disconnected(Date.now(), why);
    draw();
    const delay = RETRY_SECONDS[Math.min(failures, RETRY_SECONDS.length - 1)]!;
    failures++;
    window.setTimeout(connect, delay * 1000);
  };
  const watch = (): void => {
    window.clearTimeout(silence);
    silence = window.setTimeout(() => {
      lost(`no snapshot for ${Math.round(silenceMs / 1000)} s`);
      ws.close();
    }, silenceMs);
  };
  ws.addEventListener('open', watch);
  ws.addEventListener('message', (event: MessageEvent<unknown>) => {
    watch();
    failures = 0;
    let value: unknown;
    try {
      value = JSON.parse(String(event.data));
    } catch {
      // handled below like any other push that is not a document
      value = undefined;
    }
    if (!model.ingest(value, Date.now(), performance.now())) model.notice = { at: Date.now(), text: 'ignored a push that is not a stats document' };
    draw();
  });
  ws.addEventListener('close', (event) => lost(event.code === 1006 || event.code === 1000 ? 'connection closed' : `closed (${event.code})`));
}

/** The actions bar: each button posts its action with the token typed in. */
function enableActions(): void {
  const section = document.getElementById('actions');
  const token = document.getElementById('token') as HTMLInputElement | null;
  const result = document.getElementById('action-result');
  if (!section || !token || !result) return;
  section.hidden = false;
  for (const button of section.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
    button.addEventListener('click', () => {
      const action = button.dataset.action!;
      result.className = '';
      result.textContent = `${action}…`;
      fetch('dashboard/action', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token.value}` },
        body: JSON.stringify({ action }),
        credentials: 'omit',
        cache: 'no-store',
      })
        .then(async (res) => {
          const body = (await res.json().catch(() => ({}))) as { error?: string };
          result.className = res.ok ? 'ok' : 'error';
          result.textContent = res.ok ? `${action} asked for at ${new Date().toLocaleTimeString()}` : `${action} refused: ${body.error ?? res.status}`;
        })
        .catch((err: Error) => {
          result.className = 'error';
          result.textContent = `${action} failed: ${err.message}`;
        });
    });
  }
}

document.getElementById('push-interval')!.textContent = String(pushSeconds);
if (document.body.dataset.actions === 'on') enableActions();
draw();
connect();
// the clock, the uptime and "disconnected for" move on between snapshots
window.setInterval(draw, 1000);
