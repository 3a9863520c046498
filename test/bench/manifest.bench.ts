// Manifest load time for the largest real-world inputs, against a baseline in the same process:
// a bare YAML parse of the same text (the floor any loader pays). Prints figures; asserts nothing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseDocument } from 'yaml';
import { importProject } from '../../extension/core/manifest/importers/detect';
import { manifestToYaml } from '../../extension/core/manifest/importers/write';
import { loadManifestText } from '../../extension/core/manifest/loader';
import { MAX_ALIASES } from '../../extension/core/manifest/yamlDocument';
import { median } from './median';

const ROOT = path.resolve(__dirname, '../../..');
const REALWORLD = path.join(ROOT, 'test/fixtures/realworld');


function largestFile(dir: string): string {
  let best = { file: '', size: -1 };
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name) && fs.statSync(p).size > best.size) best = { file: p, size: fs.statSync(p).size };
    }
  };
  walk(dir);
  return best.file;
}

const file = largestFile(REALWORLD);
const text = fs.readFileSync(file, 'utf8');
// Import it the way `repro import` would: from a folder holding only that file.
const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'repro-bench-'));
const isCompose = /compose/.test(file);
const target = isCompose ? path.join(dir, 'docker-compose.yml') : path.join(dir, '.upsun', 'config.yaml');
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(target, text);

const runs = 200;
const baseline = median(() => parseDocument(text, { merge: true, strict: false, uniqueKeys: false, logLevel: 'silent' }).toJS({ maxAliasCount: MAX_ALIASES }), runs);
const imported = median(() => importProject(dir), runs);
const result = importProject(dir);
const reproYaml = result?.manifest ? manifestToYaml(result.manifest) : '';
const loadBaseline = median(() => parse(reproYaml), runs);
const load = median(() => loadManifestText(reproYaml, 'repro.yaml'), runs);

console.log(`manifest: largest real-world file ${path.relative(ROOT, file)} (${(text.length / 1024).toFixed(1)} KB)`);
console.log(`  import (read + map + validate)   ${imported.toFixed(2)} ms   yaml.parse alone ${baseline.toFixed(2)} ms   ratio ${(imported / baseline).toFixed(2)}`);
console.log(`  load of the repro.yaml it gives  ${load.toFixed(2)} ms   yaml.parse alone ${loadBaseline.toFixed(2)} ms   ratio ${(load / loadBaseline).toFixed(2)}  (${(reproYaml.length / 1024).toFixed(1)} KB, ${Object.keys(result?.manifest?.services ?? {}).length} services)`);
fs.rmSync(dir, { recursive: true, force: true });
