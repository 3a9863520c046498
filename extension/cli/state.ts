// repro state: the published state document of a running stack, for a deploy pipeline to publish
// where repro.yaml's environments.<env>.state says. Names of env vars and secrets, never values.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { observeStack } from '../core/drift/stackState';
import { parseStateDocument, STATE_VERSION, type StateDocument } from '../core/drift/stateDocument';
import { runGit } from '../core/git/runGit';
import { MANIFEST_FILE } from '../core/manifest/loader';
import { readProject } from '../core/manifest/project';
import { cliEngine } from './engine';
import { CliError, EXIT } from './exitCodes';
import type { Io } from './output';
import { resolveSession } from './session';

export interface StateFlags { session?: string; env?: string; commit?: string; flags?: string; out?: string }

export async function stateCommand(io: Io, dir: string, f: StateFlags, signal: AbortSignal): Promise<number> {
  const p = readProject(dir);
  if (!p.manifest || p.origin !== 'repro.yaml') throw new CliError(`repro state needs a valid repro.yaml in ${dir} (repro validate says what is wrong).`, EXIT.noInput);
  const flags = f.flags ? readFlags(path.resolve(io.cwd, f.flags)) : undefined;
  const commit = f.commit ?? await runGit(dir, ['rev-parse', 'HEAD']).then((o) => o.stdout.trim(), () => undefined);
  if (!commit || !/^[0-9a-f]{7,40}$/i.test(commit)) throw new CliError(`${dir} is not in a git repository with a commit; give the deployed commit with --commit <sha>.`, EXIT.usage);
  const { docker } = await cliEngine();
  const session = await resolveSession(docker, dir, f.session);
  const stack = await observeStack(docker, session.session, p.manifest, signal);
  if (stack.absent.length) io.err(`repro: session ${session.session} has no container for ${stack.absent.join(', ')}; the document leaves them out`);
  const doc: StateDocument = {
    version: STATE_VERSION,
    ...(f.env ? { environment: f.env } : {}),
    generatedAt: new Date().toISOString(),
    commit: commit.toLowerCase(),
    manifest: { hash: `sha256:${crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, MANIFEST_FILE))).digest('hex')}` },
    services: stack.services,
    apps: stack.apps,
    ...(flags ? { flags } : {}),
  };
  const text = JSON.stringify(doc, null, 2) + '\n';
  parseStateDocument(text, 'the document written'); // what Repro writes, Repro must read
  if (f.out) {
    const out = path.resolve(io.cwd, f.out);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, text);
    io.err(`wrote ${path.relative(io.cwd, out) || out}: ${Object.keys(doc.services).length} service(s), ${Object.keys(doc.apps ?? {}).length} app(s) of session ${session.session} at ${doc.commit.slice(0, 12)}`);
  } else {
    io.out(text.trimEnd());
  }
  return EXIT.ok;
}

function readFlags(file: string): Record<string, string | number | boolean> {
  let json: unknown;
  try { json = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) {
    throw new CliError(`--flags ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(e as Error).message})`}; give a JSON object of flag name to value.`, EXIT.noInput);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CliError(`--flags ${file}: expected a JSON object of flag name to value.`, EXIT.usage);
  for (const [k, v] of Object.entries(json)) {
    if (!['string', 'number', 'boolean'].includes(typeof v)) throw new CliError(`--flags ${file}: flag "${k}" is ${JSON.stringify(v)}; a flag's value is a string, a number or a boolean.`, EXIT.usage);
  }
  return json as Record<string, string | number | boolean>;
}
