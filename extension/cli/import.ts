import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatDiagnostic, hasErrors } from '../core/manifest/diagnostics';
import { importProject } from '../core/manifest/importers/detect';
import { manifestToYaml } from '../core/manifest/importers/write';
import { MANIFEST_FILE } from '../core/manifest/loader';
import { CliError, EXIT } from './exitCodes';
import { printDiagnostics, summary, type Io } from './output';

export interface ImportFlags {
  force: boolean;
  stdout: boolean;
}

/** repro import [dir]: writes repro.yaml from .upsun/, Platform.sh, devcontainer or compose files. */
export function importCommand(io: Io, dir: string, flags: ImportFlags): number {
  const target = path.join(dir, MANIFEST_FILE);
  if (!flags.stdout && !flags.force && fs.existsSync(target)) {
    throw new CliError(`${target} already exists; not overwriting it.\nUse --force to replace it, or --stdout to print the import instead.`, EXIT.cantCreate);
  }
  const r = importProject(dir);
  if (!r) {
    throw new CliError(`Nothing to import in ${dir}: no .upsun/config.yaml, .platform.app.yaml, .platform/applications.yaml, .devcontainer/devcontainer.json or compose file.`, EXIT.noInput);
  }
  printDiagnostics(io, r.diagnostics);
  if (!r.manifest || hasErrors(r.diagnostics)) {
    io.err(`import failed from ${r.format} (${r.files.map((f) => path.relative(dir, f)).join(', ')}): ${summary(r.diagnostics)}`);
    return EXIT.error;
  }
  const header = [
    `Imported by "repro import" from ${r.files.map((f) => path.relative(dir, f)).join(', ')}.`,
    ...r.diagnostics.map((d) => formatDiagnostic({ ...d, file: path.relative(dir, d.file) }).replace(/\n\s*/g, ' ')),
  ];
  const yaml = manifestToYaml(r.manifest, header);
  if (flags.stdout) {
    io.out(yaml.trimEnd());
  } else {
    fs.writeFileSync(target, yaml);
    io.out(`wrote ${target} from ${r.format}: ${Object.keys(r.manifest.apps ?? {}).length} app(s), ${Object.keys(r.manifest.services ?? {}).length} service(s); ${summary(r.diagnostics)}`);
  }
  return EXIT.ok;
}
