import { hasErrors } from '../core/manifest/diagnostics';
import { readProject } from '../core/manifest/project';
import { CliError, EXIT } from './exitCodes';
import { printDiagnostics, summary, type Io } from './output';

/** repro validate [dir]: checks repro.yaml (or what would be imported) and reports every problem. */
export function validateCommand(io: Io, dir: string): number {
  const p = readProject(dir);
  if (p.origin === 'none') {
    throw new CliError(`No repro.yaml in ${dir}, and nothing to import (.upsun/config.yaml, .platform.app.yaml, .devcontainer/devcontainer.json or a compose file).\nRun "repro import" in a project that has one, or write repro.yaml (see the README's manifest reference).`, EXIT.noInput);
  }
  printDiagnostics(io, p.diagnostics);
  const what = p.origin === 'repro.yaml' ? p.files[0]! : `${p.origin} files (${p.files.join(', ')}), read as an import: no repro.yaml yet`;
  if (hasErrors(p.diagnostics) || !p.manifest) {
    io.err(`invalid: ${what}: ${summary(p.diagnostics)}`);
    return EXIT.error;
  }
  const m = p.manifest;
  io.out(`valid: ${what}: ${Object.keys(m.apps ?? {}).length} app(s), ${Object.keys(m.services ?? {}).length} service(s); ${summary(p.diagnostics)}`);
  return EXIT.ok;
}
