// Writes media/repro.schema.json (the manifest) and media/repro-state.schema.json (the published
// state document) from their TypeBox schemas (the single sources of truth).
// A unit test fails when a committed file is out of date.
import * as esbuild from 'esbuild';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const SCHEMAS = [
  ['extension/core/manifest/schema.ts', 'ManifestSchema', 'media/repro.schema.json'],
  ['extension/core/drift/stateDocument.ts', 'StateDocumentSchema', 'media/repro-state.schema.json'],
];
const dir = mkdtempSync(join(tmpdir(), 'repro-schema-'));
for (const [entry, name, target] of SCHEMAS) {
  const out = join(dir, `${name}.cjs`);
  await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'warning' });
  const schema = createRequire(import.meta.url)(out)[name];
  writeFileSync(target, JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2) + '\n');
  console.log(`wrote ${target}`);
}
