// The log viewer's webview: every service of a session in one stream, a colour and a toggle
// per service, text or regex filter, minimum level, trace-id filter, follow/pause, timestamps,
// copy and export (done by the host, from its buffer, with the same filter). Lines arrive in
// acknowledged batches into a bounded buffer and render through a virtualised list.
// Filters and the session survive a reload through getState/setState (the host's serializer
// reads the session back to reopen the panel). Browser code only.
import { compileFilter, EMPTY_FILTER, isLogFilterState, type CompiledFilter, type LogFilterState } from '../extension/core/logs/filter';
import type { ServiceLogState, SessionLogLine } from '../extension/core/logs/logLine';
import type { LogLevel } from '../extension/core/logs/logLevel';
import { RingBuffer } from '../extension/core/logs/ringBuffer';
import { el, LogList } from './logList';
import { isLogHostMessage, type LogHostMessage, type LogViewerMessage, type LogViewerMethod, type LogViewerRequests } from './logProtocol';

interface VsCodeApi {
  postMessage(m: LogViewerMessage): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SavedState { filter: LogFilterState; timestamps: boolean; session?: string }

const vscode = acquireVsCodeApi();
const saved = vscode.getState() as Partial<SavedState> | undefined;
const state: SavedState = {
  filter: isLogFilterState(saved?.filter) ? saved.filter : { ...EMPTY_FILTER },
  timestamps: typeof saved?.timestamps === 'boolean' ? saved.timestamps : true,
  ...(typeof saved?.session === 'string' ? { session: saved.session } : {}),
};
const PALETTE_SIZE = 8;

let lines = new RingBuffer<SessionLogLine>(20000);
/** Global indexes (in `lines`) of the lines the filter shows, oldest first; [viewStart, view.length) is live. */
let view: number[] = [];
let viewStart = 0;
let compiled: CompiledFilter = compileFilter(state.filter);
let services: ServiceLogState[] = [];
const colours = new Map<string, number>();
const counts = new Map<string, number>();
let dropped = 0;
let session = '';

// ---------- layout ----------
const root = document.getElementById('root') ?? document.body;
const toolbar = el('div', 'toolbar');
toolbar.setAttribute('role', 'toolbar');
toolbar.setAttribute('aria-label', 'Log filters');
const filterBox = el('div', 'filter');
const filterInput = el('input', 'filter-input');
filterInput.type = 'text';
filterInput.placeholder = 'Filter (Ctrl+F)';
filterInput.setAttribute('aria-label', 'Filter lines by text or regular expression');
filterInput.spellcheck = false;
const caseButton = toggleButton('Aa', 'Match Case (Alt+C)');
const regexButton = toggleButton('.*', 'Use Regular Expression (Alt+R)');
filterBox.append(filterInput, caseButton, regexButton);
const levelSelect = el('select', 'level');
levelSelect.setAttribute('aria-label', 'Minimum level');
for (const [value, label] of [['', 'All levels'], ['info', 'Info and above'], ['warn', 'Warnings and errors'], ['error', 'Errors only']] as const) {
  const o = el('option', undefined, label);
  o.value = value;
  levelSelect.append(o);
}
const traceChip = el('button', 'chip trace-chip');
traceChip.title = 'Show every trace again (Escape)';
const spacer = el('div', 'grow');
const followButton = el('button', 'action follow');
const timeButton = toggleButton('Timestamps', 'Show timestamps');
timeButton.classList.add('action');
const copyButton = el('button', 'action', 'Copy');
copyButton.title = 'Copy the lines the filter shows';
const exportButton = el('button', 'action', 'Export…');
exportButton.title = 'Save the lines the filter shows to a file';
toolbar.append(filterBox, levelSelect, traceChip, spacer, followButton, timeButton, copyButton, exportButton);
const serviceBar = el('div', 'services');
serviceBar.setAttribute('role', 'group');
serviceBar.setAttribute('aria-label', 'Services');
const errorLine = el('div', 'filter-error');
errorLine.setAttribute('role', 'alert');
const listHost = el('div', 'list');
const status = el('div', 'status');
status.setAttribute('aria-live', 'polite');
root.replaceChildren(toolbar, serviceBar, errorLine, listHost, status);

const list = new LogList(listHost, { renderRow, onFollowChange: () => renderControls() });

function toggleButton(text: string, title: string): HTMLButtonElement {
  const b = el('button', 'toggle', text);
  b.title = title;
  b.setAttribute('aria-label', title);
  b.setAttribute('aria-pressed', 'false');
  return b;
}

// ---------- rows ----------
const timeFormat = (t: number): string => {
  const d = new Date(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
};

function renderRow(row: HTMLElement, index: number): void {
  const line = lines.get(view[viewStart + index]!);
  if (!line) { row.replaceChildren(); return; }
  row.className = `row${line.level ? ` level-${line.level}` : ''}${line.stream === 'stderr' ? ' stderr' : ''}`;
  const parts: Node[] = [];
  if (state.timestamps) parts.push(el('span', 'time', timeFormat(line.time)));
  const svc = el('span', `svc svc-${colourOf(line.service)}`, line.service);
  parts.push(svc);
  const text = el('span', 'text');
  appendText(text, line);
  parts.push(text);
  row.replaceChildren(...parts);
  row.title = line.text.length > 120 ? line.text.slice(0, 2000) : '';
}

/** The text with the trace id as a button and the filter's matches marked; never as HTML. */
function appendText(target: HTMLElement, line: SessionLogLine): void {
  const t = line.text;
  const trace = line.trace;
  const pieces: [number, number, 'trace' | 'text'][] = trace ? [[0, trace[1], 'text'], [trace[1], trace[2], 'trace'], [trace[2], t.length, 'text']] : [[0, t.length, 'text']];
  for (const [a, b, kind] of pieces) {
    if (a >= b) continue;
    if (kind === 'trace') {
      const link = el('button', 'trace', t.slice(a, b));
      link.dataset.trace = trace![0];
      link.title = 'Show only this trace';
      target.append(link);
    } else appendMarked(target, t.slice(a, b));
  }
}

function appendMarked(target: HTMLElement, s: string): void {
  const find = compiled.ok ? compiled.find : undefined;
  if (!find) { target.append(s); return; }
  find.lastIndex = 0;
  let last = 0;
  let m: RegExpExecArray | null;
  let guard = 0;
  while ((m = find.exec(s)) && guard++ < 50) {
    if (m[0].length === 0) { find.lastIndex++; continue; }
    target.append(s.slice(last, m.index), el('mark', undefined, m[0]));
    last = m.index + m[0].length;
  }
  target.append(s.slice(last));
}

function colourOf(service: string): number {
  let c = colours.get(service);
  if (c === undefined) { c = colours.size % PALETTE_SIZE; colours.set(service, c); }
  return c;
}

// ---------- the view ----------
function rebuildView(): void {
  view = [];
  viewStart = 0;
  if (compiled.ok) {
    const match = compiled.match;
    for (let i = lines.start; i < lines.end; i++) if (match(lines.get(i)!)) view.push(i);
  }
  list.setCount(view.length);
  renderStatus();
}

function append(batch: SessionLogLine[]): void {
  const match = compiled.ok ? compiled.match : undefined;
  for (const l of batch) {
    const i = lines.push(l);
    counts.set(l.service, (counts.get(l.service) ?? 0) + 1);
    colourOf(l.service);
    if (match?.(l)) view.push(i);
  }
  // Forget what the buffer evicted; compact now and then instead of shifting on every line.
  while (viewStart < view.length && view[viewStart]! < lines.start) viewStart++;
  if (viewStart > 4096 && viewStart > view.length / 2) { view = view.slice(viewStart); viewStart = 0; }
  list.setCount(view.length - viewStart);
}

function applyFilter(): void {
  compiled = compileFilter(state.filter);
  errorLine.textContent = compiled.ok ? '' : compiled.error;
  filterInput.classList.toggle('invalid', !compiled.ok);
  filterInput.setAttribute('aria-invalid', String(!compiled.ok));
  vscode.setState(state);
  rebuildView();
  renderControls();
}

// ---------- controls ----------
function renderControls(): void {
  caseButton.setAttribute('aria-pressed', String(state.filter.caseSensitive));
  regexButton.setAttribute('aria-pressed', String(state.filter.regex));
  timeButton.setAttribute('aria-pressed', String(state.timestamps));
  levelSelect.value = state.filter.minLevel ?? '';
  traceChip.hidden = !state.filter.traceId;
  traceChip.textContent = state.filter.traceId ? `trace ${state.filter.traceId.slice(0, 12)}… ✕` : '';
  followButton.textContent = list.isFollowing ? 'Pause' : 'Follow';
  followButton.title = list.isFollowing ? 'Stop scrolling to new lines' : 'Scroll to new lines as they arrive (End)';
  followButton.setAttribute('aria-pressed', String(list.isFollowing));
  renderServices();
  renderStatus();
}

function renderServices(): void {
  const names = new Set([...services.map((s) => s.service), ...counts.keys()]);
  const buttons: HTMLElement[] = [];
  for (const name of names) {
    const s = services.find((x) => x.service === name);
    const on = !state.filter.hidden.includes(name);
    const b = el('button', `service svc-${colourOf(name)}${on ? '' : ' off'}`);
    b.dataset.service = name;
    b.setAttribute('aria-pressed', String(on));
    b.title = `${on ? 'Hide' : 'Show'} ${name}${s?.state === 'stopped' ? ' (its container is stopped)' : ''}`;
    b.append(el('span', 'swatch'), el('span', 'name', name), el('span', 'count', (counts.get(name) ?? 0).toLocaleString()));
    if (s?.state === 'stopped') b.append(el('span', 'stopped', 'stopped'));
    buttons.push(b);
  }
  serviceBar.replaceChildren(...buttons);
}

let statusExtra = '';
function renderStatus(): void {
  const shown = view.length - viewStart;
  const parts = [`${session}`, `${lines.size.toLocaleString()} lines`, `${shown.toLocaleString()} shown`];
  // Never received (the host's buffer let them go first) plus received and since evicted here.
  const gone = dropped + lines.start;
  if (gone) parts.push(`${gone.toLocaleString()} older lines dropped (the viewer keeps the last ${lines.capacity.toLocaleString()})`);
  parts.push(list.isFollowing ? 'following' : 'paused');
  if (statusExtra) parts.push(statusExtra);
  status.textContent = parts.join(' · ');
}

let filterTimer: ReturnType<typeof setTimeout> | undefined;
filterInput.value = state.filter.text;
filterInput.addEventListener('input', () => {
  if (filterTimer) clearTimeout(filterTimer);
  filterTimer = setTimeout(() => { state.filter = { ...state.filter, text: filterInput.value }; applyFilter(); }, 120);
});
filterInput.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && filterInput.value) { e.stopPropagation(); filterInput.value = ''; state.filter = { ...state.filter, text: '' }; applyFilter(); }
  if (e.key === 'Enter') list.viewport.focus();
});
caseButton.addEventListener('click', () => { state.filter = { ...state.filter, caseSensitive: !state.filter.caseSensitive }; applyFilter(); });
regexButton.addEventListener('click', () => { state.filter = { ...state.filter, regex: !state.filter.regex }; applyFilter(); });
levelSelect.addEventListener('change', () => {
  const v = levelSelect.value as LogLevel | '';
  const { minLevel: _, ...rest } = state.filter;
  state.filter = v ? { ...rest, minLevel: v } : rest;
  applyFilter();
});
traceChip.addEventListener('click', () => clearTrace());
followButton.addEventListener('click', () => list.setFollow(!list.isFollowing));
timeButton.addEventListener('click', () => { state.timestamps = !state.timestamps; vscode.setState(state); renderControls(); list.schedule(); });
copyButton.addEventListener('click', () => void hostAction('copy'));
exportButton.addEventListener('click', () => void hostAction('export'));
serviceBar.addEventListener('click', (e) => {
  const b = (e.target as HTMLElement).closest<HTMLElement>('button.service');
  const name = b?.dataset.service;
  if (!name) return;
  const hidden = state.filter.hidden.includes(name) ? state.filter.hidden.filter((s) => s !== name) : [...state.filter.hidden, name];
  state.filter = { ...state.filter, hidden };
  applyFilter();
  serviceBar.querySelector<HTMLElement>(`button.service[data-service="${CSS.escape(name)}"]`)?.focus();
});
list.viewport.addEventListener('click', (e) => {
  const id = (e.target as HTMLElement).closest<HTMLElement>('button.trace')?.dataset.trace;
  if (!id) return;
  state.filter = { ...state.filter, traceId: id };
  applyFilter();
});

function clearTrace(): void {
  const { traceId: _, ...rest } = state.filter;
  state.filter = rest;
  applyFilter();
}

window.addEventListener('keydown', (e) => {
  const mod = e.ctrlKey || e.metaKey;
  const inInput = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
  if (mod && e.key.toLowerCase() === 'f') { e.preventDefault(); filterInput.focus(); filterInput.select(); return; }
  if (e.altKey && e.key.toLowerCase() === 'r') { e.preventDefault(); regexButton.click(); return; }
  if (e.altKey && e.key.toLowerCase() === 'c') { e.preventDefault(); caseButton.click(); return; }
  if (inInput) return;
  if (e.key === 'End') { e.preventDefault(); list.setFollow(true); }
  else if (e.key === 'Home') { e.preventDefault(); list.scrollToTop(); }
  else if (e.key === 'Escape' && state.filter.traceId) clearTrace();
});

// ---------- the host ----------
let nextRequest = 0;
const waiting = new Map<number, (m: Extract<LogHostMessage, { type: 'reply' }>) => void>();

function request<M extends LogViewerMethod>(method: M, params: LogViewerRequests[M]['params']): Promise<Extract<LogHostMessage, { type: 'reply' }>> {
  const id = ++nextRequest;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    vscode.postMessage({ type: 'request', id, method, params } as LogViewerMessage);
  });
}

async function hostAction(method: 'copy' | 'export'): Promise<void> {
  if (!compiled.ok) { errorLine.textContent = `${compiled.ok ? '' : compiled.error} Fix the filter first.`; return; }
  const reply = await request(method, { filter: state.filter, timestamps: state.timestamps });
  if ('error' in reply) statusExtra = `${method} failed: ${reply.error}`;
  else if (reply.method === 'copy') statusExtra = `copied ${reply.result.lines.toLocaleString()} lines`;
  else statusExtra = reply.result.path ? `exported ${reply.result.lines.toLocaleString()} lines` : '';
  renderStatus();
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const m = event.data;
  if (!isLogHostMessage(m)) return;
  switch (m.type) {
    case 'init':
      session = m.session;
      state.session = session;
      vscode.setState(state);
      lines = new RingBuffer(m.bufferLines);
      counts.clear();
      dropped = 0;
      services = m.services;
      rebuildView();
      renderControls();
      break;
    case 'batch':
      dropped = m.dropped;
      append(m.lines);
      vscode.postMessage({ type: 'ack', id: m.id });
      renderServicesSoon();
      break;
    case 'services':
      services = m.services;
      renderServices();
      break;
    case 'status':
      statusExtra = m.text;
      status.classList.toggle('error', m.kind === 'error');
      renderStatus();
      break;
    case 'reply':
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
      break;
  }
});

/** Counts change with every batch: redraw the service bar and status at most every 250 ms. */
let servicesTimer: ReturnType<typeof setTimeout> | undefined;
function renderServicesSoon(): void {
  if (servicesTimer) return;
  servicesTimer = setTimeout(() => { servicesTimer = undefined; renderServices(); renderStatus(); }, 250);
}

// For tests and benchmarks: what the viewer holds and has drawn.
(window as unknown as { reproLogViewer: unknown }).reproLogViewer = {
  stats: () => ({ lines: lines.size, received: lines.end, shown: view.length - viewStart, rendered: list.rendered, dropped }),
};

applyFilter();
vscode.postMessage({ type: 'ready' });
