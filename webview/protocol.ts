// The one message protocol between the extension host and Repro's webviews. Imported by both
// bundles, so a message's shape is checked at compile time on both sides; `isWebviewMessage`
// checks it again at run time, because a webview is a boundary.

/** Webview -> host. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'command'; command: string; args?: unknown[] };

/** Host -> webview. Batches, never one message per log line. */
export type HostMessage =
  | { type: 'init'; title: string }
  | { type: 'logBatch'; lines: { service: string; stream: 'stdout' | 'stderr'; text: string; time: number }[] };

export function isWebviewMessage(m: unknown): m is WebviewMessage {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  if (t === 'ready') return true;
  if (t === 'command') return typeof (m as { command?: unknown }).command === 'string';
  return false;
}
