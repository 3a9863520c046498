// FakeVsCodeWebviewHost: the one boundary that cannot run outside VS Code. It loads a webview
// bundle (dist/*.js + media/*.css) into a page of headless Chromium and stands in for VS Code's
// webview host: `acquireVsCodeApi()` with postMessage/getState/setState, messages to the page
// as `message` events, a dark theme's --vscode-* variables. Everything on either side of it is
// the real code. Used by benchmarks; playwright-core drives /usr/bin/chromium.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';

const ROOT = path.resolve(__dirname, '../../..');

/** A few of VS Code's Dark Modern colours, enough for the bundle's CSS to look like it does in the editor. */
const DARK_THEME = `:root {
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: monospace; --vscode-editor-font-size: 13px;
  --vscode-foreground: #cccccc; --vscode-editor-background: #1f1f1f; --vscode-descriptionForeground: #9d9d9d;
  --vscode-input-background: #313131; --vscode-input-foreground: #cccccc; --vscode-input-border: #3c3c3c;
  --vscode-focusBorder: #0078d4; --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff;
  --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc;
  --vscode-errorForeground: #f85149; --vscode-editorError-foreground: #f14c4c; --vscode-editorWarning-foreground: #cca700;
  --vscode-textLink-foreground: #4daafc; --vscode-panel-border: #2b2b2b; --vscode-widget-border: #313131;
}`;

export class FakeVsCodeWebviewHost {
  readonly page: Page;
  private state: unknown;

  private constructor(page: Page, private readonly onMessage: (m: unknown) => void) {
    this.page = page;
  }

  /** Opens `bundle` (a file in dist/) with `css` (a file in media/); messages from the webview go to `onMessage`. */
  static async open(browser: Browser, bundle: string, css: string, onMessage: (m: unknown) => void): Promise<FakeVsCodeWebviewHost> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    const host = new FakeVsCodeWebviewHost(page, onMessage);
    page.on('pageerror', (e) => console.error(`  [webview error] ${e.message}`));
    await page.exposeFunction('__fakeHostPost', (m: unknown) => host.onMessage(m));
    await page.exposeFunction('__fakeHostSetState', (s: unknown) => { host.state = s; });
    await page.setContent(`<!DOCTYPE html><html><head><style>${DARK_THEME}</style></head><body class="vscode-dark"><div id="root"></div></body></html>`);
    await page.evaluate((state) => {
      let current = state;
      (globalThis as unknown as { acquireVsCodeApi: unknown }).acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => void (globalThis as unknown as { __fakeHostPost: (m: unknown) => Promise<void> }).__fakeHostPost(m),
        getState: () => current,
        setState: (s: unknown) => { current = s; void (globalThis as unknown as { __fakeHostSetState: (s: unknown) => Promise<void> }).__fakeHostSetState(s); },
      });
    }, host.state);
    await page.addStyleTag({ content: fs.readFileSync(path.join(ROOT, 'media', css), 'utf8') });
    await page.addScriptTag({ content: fs.readFileSync(path.join(ROOT, 'dist', bundle), 'utf8') });
    return host;
  }

  /**
   * What VS Code's `webview.postMessage` does: a `message` event in the page. Known cost: the
   * DevTools protocol keeps each evaluated argument, so the page's heap grows with what was
   * posted (about twice the JSON's size) although the viewer itself stays bounded.
   */
  async post(m: unknown): Promise<void> {
    // As JSON text, the way VS Code carries webview messages (and far cheaper than an object argument).
    await this.page.evaluate((json) => (globalThis as unknown as { postMessage: (m: unknown, origin: string) => void }).postMessage(JSON.parse(json), '*'), JSON.stringify(m));
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}
