// Writes media/repro.schema.json from the TypeBox schema (the single source of truth).
// A unit test fails when the committed file is out of date.
import * as esbuild from 'esbuild';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const out = join(mkdtempSync(join(tmpdir(), 'repro-schema-')), 'schema.cjs');
await esbuild.build({ entryPoints: ['extension/core/manifest/schema.ts'], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'warning' });
const { ManifestSchema } = createRequire(import.meta.url)(out);
writeFileSync('media/repro.schema.json', JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...ManifestSchema }, null, 2) + '\n');
console.log('wrote media/repro.schema.json');
