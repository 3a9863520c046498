// What a folder declares: its repro.yaml when there is one, otherwise what can be imported
// from the files it already has. Shared by the CLI and the extension.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from './diagnostics';
import { importProject } from './importers/detect';
import { loadManifestFile, MANIFEST_FILE } from './loader';
import type { Manifest } from './schema';

export interface ProjectManifest {
  /** Where the model came from: repro.yaml, or the importer's format. */
  origin: 'repro.yaml' | 'upsun' | 'platformsh' | 'compose' | 'devcontainer' | 'none';
  files: string[];
  manifest?: Manifest;
  diagnostics: Diagnostic[];
}

export function readProject(dir: string): ProjectManifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (fs.existsSync(file)) {
    const r = loadManifestFile(file);
    return { origin: 'repro.yaml', files: [file], diagnostics: r.diagnostics, ...(r.manifest ? { manifest: r.manifest } : {}) };
  }
  const imported = importProject(dir);
  if (!imported) return { origin: 'none', files: [], diagnostics: [] };
  return { origin: imported.format, files: imported.files, diagnostics: imported.diagnostics, ...(imported.manifest ? { manifest: imported.manifest } : {}) };
}
