// The sample shop's repro.yaml as a model the integration tests can edit (a fresh copy each call).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadManifestFile } from '../../extension/core/manifest/loader';
import type { Manifest } from '../../extension/core/manifest/schema';

export const SAMPLE = path.resolve(__dirname, '../../../test/fixtures/sample-shop');

export function sampleManifest(edit?: (m: Manifest) => void): Manifest {
  const r = loadManifestFile(path.join(SAMPLE, 'repro.yaml'));
  assert.ok(r.manifest, `the sample's repro.yaml does not load: ${JSON.stringify(r.diagnostics)}`);
  const m = structuredClone(r.manifest);
  edit?.(m);
  return m;
}
