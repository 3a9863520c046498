// Which format a project already describes itself in, and the import of it. One format is
// imported, in order of how much it says about production: Upsun, then Platform.sh, then a
// dev container pointing at compose, then a plain compose file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasErrors } from '../diagnostics';
import { loadManifestText } from '../loader';
import type { Manifest } from '../schema';
import { composeFiles, importCompose } from './compose';
import { DEVCONTAINER, importDevcontainer } from './devcontainer';
import { importPlatformsh, platformFiles } from './platformsh';
import { Findings, type ImportFormat, type ImportResult } from './types';
import { importUpsun, upsunFiles, type Mapped } from './upsun';
import { manifestToYaml } from './write';

export interface Importable {
  format: ImportFormat;
  files: string[];
}

/** The first format found in `dir`, with the files it would read; undefined when there is none. */
export function importableFiles(dir: string): Importable | undefined {
  const upsun = upsunFiles(dir);
  if (upsun.length) return { format: 'upsun', files: upsun };
  const platform = platformFiles(dir);
  if (platform.length) return { format: 'platformsh', files: platform };
  const dev = path.join(dir, DEVCONTAINER);
  if (fs.existsSync(dev)) return { format: 'devcontainer', files: [dev] };
  const compose = composeFiles(dir);
  if (compose.length) return { format: 'compose', files: compose };
  return undefined;
}

/** Imports what `dir` has into a repro.yaml model; never throws on bad input. */
export function importProject(dir: string): ImportResult | undefined {
  const found = importableFiles(dir);
  if (!found) return undefined;
  const f = new Findings();
  let files = found.files;
  let mapped: Mapped | undefined;
  try {
    switch (found.format) {
      case 'upsun': mapped = importUpsun(f, found.files); break;
      case 'platformsh': mapped = importPlatformsh(f, dir, found.files); break;
      case 'devcontainer': {
        const r = importDevcontainer(f, dir, found.files[0]!);
        files = r.files;
        mapped = r.mapped;
        break;
      }
      case 'compose': mapped = importCompose(f, found.files, { projectDir: dir }); break;
    }
  } catch (e) {
    // Unreadable files (permissions, a folder where a file was expected) end here.
    f.error(found.files[0]!, () => ({ line: 0, column: 0 }), [], 'unreadable', `cannot read the ${found.format} files: ${(e as Error).message}`, 'Check that the files exist and can be read.');
  }
  const result: ImportResult = { format: found.format, files, diagnostics: f.diagnostics };
  if (!mapped || hasErrors(f.diagnostics)) return result;
  if (!Object.keys(mapped.apps).length && !Object.keys(mapped.services).length) {
    f.error(found.files[0]!, () => ({ line: 0, column: 0 }), [], 'nothing-imported', `no app or service in the ${found.format} files could be imported (see the warnings)`,
      'Create repro.yaml with "Repro: Create repro.yaml" or "repro import --stdout" and complete it by hand.');
    return result;
  }
  const manifest: Manifest = {
    version: 1,
    project: { name: projectName(dir) },
    ...(Object.keys(mapped.apps).length ? { apps: mapped.apps } : {}),
    ...(Object.keys(mapped.services).length ? { services: mapped.services } : {}),
    environments: { production: {} },
  };
  // The import must itself be a valid repro.yaml; anything else is a bug worth a clear report.
  const check = loadManifestText(manifestToYaml(manifest), path.join(dir, 'repro.yaml'));
  for (const d of check.diagnostics.filter((x) => x.severity === 'error')) {
    f.error(found.files[0]!, () => ({ line: 0, column: 0 }), [], 'import-invalid', `the imported model is not a valid repro.yaml: ${d.path}: ${d.message}`, d.hint ?? 'Write repro.yaml by hand for this project.');
  }
  return hasErrors(f.diagnostics) ? result : { ...result, manifest };
}

function projectName(dir: string): string {
  const base = path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 63).replace(/-+$/, '');
  return base || 'project';
}
