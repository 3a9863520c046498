// Loads repro.yaml: YAML with positions, then structure, then meaning. Never throws on bad
// input: every problem becomes a Diagnostic, and a manifest is returned only when there is
// no error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasErrors, type Diagnostic } from './diagnostics';
import type { Manifest } from './schema';
import { checkStructure } from './structure';
import { checkDataFiles, checkSemantics } from './validate';
import { MAX_ALIASES, parseYaml } from './yamlDocument';

export const MANIFEST_FILE = 'repro.yaml';

export interface LoadResult {
  manifest?: Manifest;
  diagnostics: Diagnostic[];
  file: string;
}

/**
 * `root`: the manifest's folder, when the text is the one on disk: the data files the manifest
 * names are then looked for there (a manifest read at a commit has no files to check).
 */
export function loadManifestText(text: string, file: string, root?: string): LoadResult {
  const parsed = parseYaml(text, file);
  const diagnostics = [...parsed.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics, file };
  const data: unknown = parsed.doc.toJS({ maxAliasCount: MAX_ALIASES });
  if (data === null || data === undefined) {
    diagnostics.push({ severity: 'error', code: 'empty', file, line: 1, column: 1, path: '', message: 'the manifest is empty', hint: 'Run "Repro: Create repro.yaml" or "repro import" to start one.' });
    return { diagnostics, file };
  }
  diagnostics.push(...checkStructure(parsed, data));
  if (hasErrors(diagnostics)) return { diagnostics, file };
  const manifest = data as Manifest;
  diagnostics.push(...checkSemantics(parsed, manifest));
  if (root !== undefined) diagnostics.push(...checkDataFiles(parsed, manifest, root));
  return hasErrors(diagnostics) ? { diagnostics, file } : { manifest, diagnostics, file };
}

export function loadManifestFile(file: string): LoadResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      file,
      diagnostics: [{
        severity: 'error', code: 'unreadable', file, line: 0, column: 0, path: '',
        message: code === 'ENOENT' ? `no ${path.basename(file)} here` : `cannot read the file (${code ?? String(e)})`,
        hint: code === 'ENOENT' ? 'Run "repro import" to create one from .upsun/config.yaml, compose or devcontainer.json files.' : 'Check the file\'s permissions.',
      }],
    };
  }
  // Data paths are relative to the manifest's folder, as a clone reads them (the worktree's
  // root in a reproduction, where repro.yaml is).
  return loadManifestText(text, file, path.dirname(path.resolve(file)));
}
