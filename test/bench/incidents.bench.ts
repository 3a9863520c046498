// What the Incidents view pays on each refresh (it follows the engine's events): the kept
// history read back through the link checks and joined with every receipt on disk, against a
// baseline in the same process: reading and JSON-parsing the same files, nothing checked.
// Prints figures; asserts nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HISTORY_FILE, HISTORY_LIMIT, incidentRows, readHistory, writeHistory, type HistoryEntry } from '../../extension/core/incident/history';
import { makeIncident } from '../../extension/core/incident/model';
import { listReceipts } from '../../extension/core/session/lifecycle';
import { writeReceipt, type Receipt } from '../../extension/core/session/receipt';
import { sessionDir } from '../../extension/core/session/storage';
import { median } from './median';

const RECEIPTS = Number(process.argv[2] ?? 200);
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-bench-incidents-'));
const sha = (n: number): string => n.toString(16).padStart(40, 'a');
const entries: HistoryEntry[] = Array.from({ length: HISTORY_LIMIT }, (_, n) => ({
  via: 'link', receivedAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
  incident: makeIncident({
    id: `INC-${n}`, source: 'alertmanager', title: `Checkout 500 for customer ${n}`, commit: sha(n), environment: 'production', service: 'web',
    frames: Array.from({ length: 20 }, (_, f) => ({ file: `/app/src/module${f}.js`, line: 10 + f, column: 5, function: `fn${f}` })),
    request: { method: 'POST', path: `/orders/${n}?expand=items`, headers: { accept: 'application/json' }, body: JSON.stringify({ items: [1, 2, 3], note: 'x'.repeat(200) }) },
    url: `https://alerts.example.com/incidents/${n}`, repository: 'https://github.com/reprokit/sample-shop.git', labels: {},
  }),
}));
writeHistory(home, entries);
for (let n = 0; n < RECEIPTS; n++) {
  const r: Receipt = {
    version: 1, session: `shop-inc-${n}`, project: 'shop', incident: { id: `INC-${n}`, source: 'alertmanager', title: `Checkout 500 for customer ${n}` },
    clone: '/src/shop', commit: sha(n), worktree: `/w/${n}`, manifest: { file: 'repro.yaml', sha256: 'x' }, images: [], published: [],
    steps: [{ step: 'resolve', status: 'done', ms: 12 }], startedAt: new Date(Date.UTC(2026, 0, 2, 0, n)).toISOString(), finishedAt: new Date(Date.UTC(2026, 0, 2, 0, n)).toISOString(), totalMs: 12,
  };
  writeReceipt(sessionDir(home, r.session), r);
}


const runs = 30;
const baseline = median(() => {
  JSON.parse(fs.readFileSync(path.join(home, HISTORY_FILE), 'utf8'));
  for (const d of fs.readdirSync(path.join(home, 'sessions'))) JSON.parse(fs.readFileSync(path.join(home, 'sessions', d, 'receipt.json'), 'utf8'));
}, runs);
let rows = 0;
const refresh = median(() => { rows = incidentRows(readHistory(home), listReceipts(home)).length; }, runs);
const size = fs.statSync(path.join(home, HISTORY_FILE)).size;
console.log(`incidents: ${HISTORY_LIMIT} kept incidents (${(size / 1024).toFixed(1)} KB, 20 frames and a request each), ${RECEIPTS} receipts -> ${rows} rows`);
console.log(`  view refresh (read, check as links, join receipts)   ${refresh.toFixed(2)} ms   read + JSON.parse alone ${baseline.toFixed(2)} ms   ratio ${(refresh / baseline).toFixed(2)}`);
fs.rmSync(home, { recursive: true, force: true });
