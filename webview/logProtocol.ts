// The log viewer's message protocol, imported by the extension host (ui/logViewerPanel.ts) and
// the webview bundle (webview/logViewer.ts), so both sides are checked against one definition at
// compile time; the type guards check again at run time, because a message is untrusted input.
//
//   webview -> host: notifications (`ready`, `ack`) and requests (`copy`, `export`) with an id;
//   host -> webview: notifications (`init`, `batch`, `services`, `status`) and the `reply` to a
//   request, with the request's id and a result typed by the request's method.
// The host queues its messages until `ready`; a reloaded webview sends `ready` again and gets
// the session's buffer anew.
import type { LogFilterState } from '../extension/core/logs/filter';
import { isLogFilterState } from '../extension/core/logs/filter';
import type { ServiceLogState, SessionLogLine } from '../extension/core/logs/logLine';

/** Requests the webview makes, each with its parameters and the host's result. */
export interface LogViewerRequests {
  /** The lines the filter shows, from the host's buffer, to the clipboard. */
  copy: { params: { filter: LogFilterState; timestamps: boolean }; result: { lines: number } };
  /** The same to a file the user picks in a save dialog. */
  export: { params: { filter: LogFilterState; timestamps: boolean }; result: { lines: number; path?: string } };
}
export type LogViewerMethod = keyof LogViewerRequests;

export type LogViewerRequest = { [M in LogViewerMethod]: { type: 'request'; id: number; method: M; params: LogViewerRequests[M]['params'] } }[LogViewerMethod];

/** Webview -> host. */
export type LogViewerMessage =
  | { type: 'ready' }
  | { type: 'ack'; id: number }
  | LogViewerRequest;

/** Host -> webview. Lines come in batches, never one message per line. */
export type LogHostMessage =
  | { type: 'init'; session: string; bufferLines: number; services: ServiceLogState[] }
  | { type: 'batch'; id: number; lines: SessionLogLine[]; dropped: number }
  | { type: 'services'; services: ServiceLogState[] }
  | { type: 'status'; kind: 'info' | 'error'; text: string }
  | LogViewerReply;

export type LogViewerReply =
  | { [M in LogViewerMethod]: { type: 'reply'; id: number; method: M; result: LogViewerRequests[M]['result'] } }[LogViewerMethod]
  | { type: 'reply'; id: number; method: LogViewerMethod; error: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

export function isLogViewerMessage(m: unknown): m is LogViewerMessage {
  if (!isObject(m)) return false;
  switch (m.type) {
    case 'ready': return true;
    case 'ack': return isId(m.id);
    case 'request': {
      if (!isId(m.id) || (m.method !== 'copy' && m.method !== 'export') || !isObject(m.params)) return false;
      return isLogFilterState(m.params.filter) && typeof m.params.timestamps === 'boolean';
    }
    default: return false;
  }
}

const isService = (s: unknown): s is ServiceLogState =>
  isObject(s) && typeof s.service === 'string' && typeof s.role === 'string' && (s.state === 'following' || s.state === 'stopped');

export function isLogHostMessage(m: unknown): m is LogHostMessage {
  if (!isObject(m)) return false;
  switch (m.type) {
    case 'init': return typeof m.session === 'string' && isId(m.bufferLines) && Array.isArray(m.services) && m.services.every(isService);
    case 'batch': return isId(m.id) && Array.isArray(m.lines) && typeof m.dropped === 'number';
    case 'services': return Array.isArray(m.services) && m.services.every(isService);
    case 'status': return (m.kind === 'info' || m.kind === 'error') && typeof m.text === 'string';
    case 'reply': return isId(m.id) && (m.method === 'copy' || m.method === 'export') && (isObject(m.result) || typeof m.error === 'string');
    default: return false;
  }
}
