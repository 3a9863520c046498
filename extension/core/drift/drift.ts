// Drift, from a folder: the chosen environment's published state is the reference; repro.yaml,
// the manifest at the environment's commit, other environments, the local session on the
// engine, the workspace's compose files and this machine's toolchain are compared with it.
// Each observer that cannot see (no engine, no session, no git) makes its side unavailable
// with the reason; only a reference that cannot be read at all is an error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { readFileAt } from '../git/fileAt';
import type { Repository } from '../git/repository';
import { runGit } from '../git/runGit';
import { loadManifestText, MANIFEST_FILE } from '../manifest/loader';
import type { Manifest } from '../manifest/schema';
import { parseYaml } from '../manifest/yamlDocument';
import { projectSessionName } from '../stack/plan';
import { compareSides } from './compare';
import { composeSide, toolchainSide, versionFilesSide, type VersionOf } from './localObservers';
import type { DriftReport, Side } from './model';
import { environmentSide, factsFromState, manifestSide, unavailableSide } from './sides';
import { loadEnvironmentState, type EnvironmentState } from './stateCache';
import { observeStack } from './stackState';

export class DriftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriftError';
  }
}

export interface DriftOptions {
  /** The reference environment (default: production when declared, else the first). */
  env?: string;
  /** REPRO_HOME, for the offline copies of published states. */
  home: string;
  /** The local session's name (default: the project's). */
  session?: string;
  /** The engine, or why there is none. */
  docker?: () => Promise<Docker>;
  signal?: AbortSignal;
  timeoutMs?: number;
  fetchText?: (url: string, signal?: AbortSignal) => Promise<string>;
  versionOf?: VersionOf;
  /** Run an environment's `command` state (default true: the CLI is the user's own action; the view asks workspace trust). */
  allowCommand?: boolean;
  commandRefusal?: string;
}

export interface DriftResult {
  env: string;
  report: DriftReport;
  state?: EnvironmentState;
  /** Why the reference could not be read: the comparison means nothing (exit 1). */
  error?: string;
  /** The manifest file the fixes edit. */
  manifestFile: string;
}

export const defaultEnvironment = (m: Manifest): string | undefined => {
  const names = Object.keys(m.environments ?? {});
  return names.includes('production') ? 'production' : names[0];
};

export async function computeDrift(dir: string, m: Manifest, opts: DriftOptions): Promise<DriftResult> {
  const envs = Object.keys(m.environments ?? {});
  const env = opts.env ?? defaultEnvironment(m);
  if (!env) throw new DriftError('repro.yaml declares no environments: add environments.production.state (url, file or command) saying where production publishes what it runs.');
  if (!envs.includes(env)) throw new DriftError(`repro.yaml has no environment "${env}"; it declares: ${envs.join(', ')}.`);
  const manifestFile = path.join(dir, MANIFEST_FILE);
  const common = { home: opts.home, allowCommand: opts.allowCommand ?? true, ...(opts.commandRefusal ? { commandRefusal: opts.commandRefusal } : {}), ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.fetchText ? { fetchText: opts.fetchText } : {}) };

  const load = (e: string) => loadEnvironmentState(m, e, dir, common).then((s) => ({ s }), (err: Error) => ({ err: err.message }));
  // One git call for the working tree's root and HEAD; the manifest at the deployed commit is
  // read as soon as both it and the reference's state are in (observers run side by side).
  const where = gitWhere(dir);
  const statesP = Promise.all(envs.map(async (e) => [e, await load(e)] as const));
  const releaseP = statesP.then(async (states) => {
    const mine = states.find(([e]) => e === env)![1];
    return 's' in mine && !mine.s.state.commitOnly ? releaseSide(dir, await where, mine.s.state.doc.commit, m) : undefined;
  });
  const [states, head, release, local, toolchain] = await Promise.all([
    statesP, where.then((w) => headSide(manifestFile, m, w?.head)), releaseP, localSide(m, opts), toolchainSide(m, opts.versionOf),
  ]);
  const mine = new Map(states).get(env)!;
  const reference = 's' in mine ? environmentSide(mine.s) : unavailableSide(`env:${env}`, 'environment', env, mine.err);
  const others: Side[] = [head];
  if (release) others.push(release);
  for (const [e, r] of states) {
    if (e === env) continue;
    others.push('s' in r ? environmentSide(r.s) : unavailableSide(`env:${e}`, 'environment', e, r.err));
  }
  others.push(local);
  const compose = composeSide(dir, m);
  if (compose) others.push(compose);
  others.push(toolchain);
  const pins = versionFilesSide(dir, m);
  if (pins) others.push(pins);
  return {
    env,
    report: compareSides(reference, others),
    ...('s' in mine ? { state: mine.s } : { error: mine.err }),
    manifestFile,
  };
}

interface GitWhere { repo: Repository; head: string }

/** The repository's root and HEAD, or undefined outside git. */
async function gitWhere(dir: string): Promise<GitWhere | undefined> {
  try {
    const [root, common, head] = (await runGit(dir, ['rev-parse', '--show-toplevel', '--git-common-dir', '--short=7', 'HEAD'])).stdout.split('\n').map((l) => l.trim());
    if (!root || !common || !head) return undefined;
    return { repo: { root: path.normalize(root), commonDir: path.resolve(dir, common), remotes: [] }, head };
  } catch {
    return undefined;
  }
}

/** repro.yaml as loaded (`m`), with the lines each value is written on. */
function headSide(file: string, m: Manifest, head: string | undefined): Side {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return unavailableSide('manifest', 'manifest', 'repro.yaml', 'there is no repro.yaml', ['type', 'version']); }
  return manifestSide(m, parseYaml(text, file), 'manifest', 'repro.yaml', 'manifest', head ? `working tree at ${head}` : 'working tree');
}

/** The manifest as it was at the commit the environment runs: what changed since the release. */
async function releaseSide(dir: string, where: GitWhere | undefined, commit: string, head: Manifest): Promise<Side> {
  const label = `repro.yaml @ ${commit.slice(0, 7)}`;
  if (!where) return unavailableSide('release', 'release', label, `${dir} is not in a git repository`, ['type', 'version']);
  try {
    const repo = where.repo;
    const rel = path.relative(repo.root, path.join(dir, MANIFEST_FILE)).split(path.sep).join('/');
    const text = await readFileAt(repo, commit, rel);
    if (text === undefined) return unavailableSide('release', 'release', label, `there was no ${rel} at ${commit.slice(0, 7)}`, ['type', 'version']);
    // Unchanged since the release (the usual case): no need to load it again.
    const unchanged = fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8') === text;
    const r = unchanged ? { manifest: head } : loadManifestText(text, `${rel}@${commit.slice(0, 7)}`);
    if (!r.manifest) return unavailableSide('release', 'release', label, `${rel} at ${commit.slice(0, 7)} has errors`, ['type', 'version']);
    return manifestSide(r.manifest, undefined, 'release', label, 'release', 'the manifest the environment was deployed with');
  } catch (e) {
    return unavailableSide('release', 'release', label, `${(e as Error).message}`.split('\n')[0]!, ['type', 'version']);
  }
}

async function localSide(m: Manifest, opts: DriftOptions): Promise<Side> {
  const session = opts.session ?? projectSessionName(m.project.name);
  const label = `session ${session}`;
  const kinds = ['type', 'version', 'digest', 'env', 'secret'] as const;
  if (!opts.docker) return unavailableSide('local', 'local', label, 'no container engine to look at', kinds);
  let docker: Docker;
  try { docker = await opts.docker(); } catch (e) { return unavailableSide('local', 'local', label, `no container engine: ${(e as Error).message.split('\n')[0]}`, kinds); }
  try {
    const s = await observeStack(docker, session, m, opts.signal);
    if (!Object.keys(s.services).length && !Object.keys(s.apps).length) return unavailableSide('local', 'local', label, `no session "${session}" is running (start one to compare it)`, kinds);
    return { id: 'local', kind: 'local', label, kinds, facts: factsFromState(s), note: 'the containers on the engine' };
  } catch (e) {
    return unavailableSide('local', 'local', label, `the engine did not answer: ${(e as Error).message.split('\n')[0]}`, kinds);
  }
}
