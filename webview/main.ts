// Webview entry: announces itself with a `ready` handshake (the host queues messages until
// then) and renders what the host sends. Browser code only.
import type { HostMessage, WebviewMessage } from './protocol';

declare function acquireVsCodeApi(): { postMessage(m: WebviewMessage): void; getState(): unknown; setState(s: unknown): void };

const vscode = acquireVsCodeApi();

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const msg = event.data;
  if (msg.type === 'init') document.title = msg.title;
});

vscode.postMessage({ type: 'ready' });
