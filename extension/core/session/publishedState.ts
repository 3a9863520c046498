// The commit an environment runs, read from the state it publishes (repro.yaml's
// environments.<env>.state): for an alert that names neither a commit nor a release. The state
// is JSON with the commit under a usual key ({"commit": "..."}, {"git": {"commit": "..."}},
// {"revision": "..."}...). A `command` state is never run for a reproduction: a link is one
// click away from anyone, and the command would run before anything else is checked.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fetchPayload } from '../incident/input';
import { isSha } from '../incident/model';
import type { Manifest } from '../manifest/schema';

const MAX_STATE_BYTES = 1024 * 1024;
const COMMIT_PATHS = [['commit'], ['sha'], ['revision'], ['git_commit'], ['gitCommit'], ['git', 'commit'], ['git', 'sha'], ['deployment', 'commit'], ['source', 'commit'], ['version', 'commit']];

export class PublishedStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishedStateError';
  }
}

/** Where `env` publishes its state, in words, or undefined when repro.yaml says nothing. */
export function describeStateLocation(m: Manifest | undefined, env: string): string | undefined {
  const s = m?.environments?.[env]?.state;
  if (!s) return undefined;
  if ('url' in s) return s.url;
  if ('file' in s) return s.file;
  return `the command "${s.command}"`;
}

export interface StateOptions {
  signal?: AbortSignal;
  fetchText?: (url: string, signal?: AbortSignal) => Promise<string>;
}

export async function commitFromPublishedState(m: Manifest | undefined, env: string, repoRoot: string, opts: StateOptions = {}): Promise<{ commit: string; from: string }> {
  const state = m?.environments?.[env]?.state;
  if (!state) {
    throw new PublishedStateError(`The incident names neither a commit nor a release, and repro.yaml says nowhere which commit ${env} runs. ` +
      `Add commit= or release= to the alert's link, or declare environments.${env}.state (url or file) in repro.yaml.`);
  }
  let text: string;
  let from: string;
  if ('url' in state) {
    from = state.url;
    try {
      text = await (opts.fetchText ?? fetchPayload)(state.url, opts.signal);
    } catch (e) {
      throw new PublishedStateError(`Could not read ${env}'s published state at ${state.url}: ${(e as Error).message}`);
    }
  } else if ('file' in state) {
    const file = path.resolve(repoRoot, state.file);
    from = state.file;
    if (path.relative(repoRoot, file).startsWith('..') || path.isAbsolute(path.relative(repoRoot, file))) {
      throw new PublishedStateError(`environments.${env}.state.file "${state.file}" is outside the repository; give a path inside it.`);
    }
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      throw new PublishedStateError(`${env}'s published state file ${state.file} does not exist in ${repoRoot}.`);
    }
    if (size > MAX_STATE_BYTES) throw new PublishedStateError(`${state.file} is ${size} bytes; a published state is at most ${MAX_STATE_BYTES}.`);
    text = fs.readFileSync(file, 'utf8');
  } else {
    throw new PublishedStateError(`${env}'s published state comes from a command, which Repro does not run for a reproduction. ` +
      'Add commit= or release= to the alert\'s link, or publish the state at a url or in a file.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PublishedStateError(`${env}'s published state at ${from} is not JSON.`);
  }
  for (const p of COMMIT_PATHS) {
    let v: unknown = json;
    for (const k of p) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
    if (typeof v === 'string' && isSha(v.toLowerCase())) return { commit: v.toLowerCase(), from };
  }
  throw new PublishedStateError(`${env}'s published state at ${from} names no commit: expected a 7 to 40 hex digit sha under "commit" (or git.commit, revision, sha).`);
}
