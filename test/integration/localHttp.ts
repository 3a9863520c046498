// HTTP on 127.0.0.1 for the integration tests: what a user's browser or curl would ask a
// reproduction's published port.
import * as http from 'node:http';

export interface Reply { status: number; type: string; body: string }

/** GET on 127.0.0.1 only, one connection per request (no keep-alive left open). */
export function get(port: number, urlPath: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port}${urlPath} timed out`)));
    req.on('error', reject);
  });
}
