// An environment's published state (repro.yaml's environments.<env>.state): the JSON document
// of drift/stateDocument.ts, read from a URL, a file in the repository or a command. For a
// reproduction it gives the commit when an alert names neither a commit nor a release; for drift
// it gives everything the environment runs. A `command` state is never run for a reproduction:
// a link is one click away from anyone, and the command would run before anything else is
// checked. The Parity view and `repro drift` run it (the user's own manifest, their own action).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseStateDocument, StateDocumentError, type ParsedState } from '../drift/stateDocument';
import { fetchPayload } from '../incident/input';
import type { Manifest } from '../manifest/schema';

const MAX_STATE_BYTES = 1024 * 1024;
/** How long a URL or a command has to answer, by default. */
export const STATE_TIMEOUT_MS = 10_000;

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
  /** For a URL or a command (default STATE_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Run a `command` state (never for a reproduction). */
  allowCommand?: boolean;
  /** What to say when a command state is not run. */
  commandRefusal?: string;
}

export interface PublishedState extends ParsedState {
  /** The URL, file or command it was read from. */
  from: string;
}

/** `env`'s published state document, read and checked; PublishedStateError says what is wrong. */
export async function readPublishedState(m: Manifest | undefined, env: string, repoRoot: string, opts: StateOptions = {}): Promise<PublishedState> {
  const { text, from } = await readStateText(m, env, repoRoot, opts);
  return parsePublishedState(text, env, from);
}

export function parsePublishedState(text: string, env: string, from: string): PublishedState {
  try {
    return { ...parseStateDocument(text, `${env}'s published state at ${from}`), from };
  } catch (e) {
    if (e instanceof StateDocumentError) throw new PublishedStateError(e.message);
    throw e;
  }
}

/** The document's text, as the URL, the file or the command gives it (unchecked). */
export async function readStateText(m: Manifest | undefined, env: string, repoRoot: string, opts: StateOptions = {}): Promise<{ text: string; from: string }> {
  const state = m?.environments?.[env]?.state;
  if (!state) throw new PublishedStateError(`repro.yaml says nowhere what ${env} runs: declare environments.${env}.state (url, file or command).`);
  const timeoutMs = opts.timeoutMs ?? STATE_TIMEOUT_MS;
  if ('url' in state) {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    try {
      return { text: await (opts.fetchText ?? fetchPayload)(state.url, signal), from: state.url };
    } catch (e) {
      const why = timeout.aborted ? `no answer within ${timeoutMs / 1000} s` : (e as Error).message;
      throw new PublishedStateError(`Could not read ${env}'s published state at ${state.url}: ${why}`);
    }
  }
  if ('file' in state) return { text: readStateFile(repoRoot, state.file, env), from: state.file };
  if (!opts.allowCommand) {
    throw new PublishedStateError(opts.commandRefusal ?? `${env}'s published state comes from a command, which Repro does not run for a reproduction. ` +
      'Add commit= or release= to the alert\'s link, or publish the state at a url or in a file.');
  }
  return { text: await runStateCommand(state.command, repoRoot, timeoutMs, env, opts.signal), from: `the command "${state.command}"` };
}

export async function commitFromPublishedState(m: Manifest | undefined, env: string, repoRoot: string, opts: StateOptions = {}): Promise<{ commit: string; from: string }> {
  if (!m?.environments?.[env]?.state) {
    throw new PublishedStateError(`The incident names neither a commit nor a release, and repro.yaml says nowhere which commit ${env} runs. ` +
      `Add commit= or release= to the alert's link, or declare environments.${env}.state (url or file) in repro.yaml.`);
  }
  const s = await readPublishedState(m, env, repoRoot, { ...opts, allowCommand: false });
  return { commit: s.doc.commit, from: s.from };
}

function readStateFile(repoRoot: string, rel: string, env: string): string {
  const file = path.resolve(repoRoot, rel);
  if (path.relative(repoRoot, file).startsWith('..') || path.isAbsolute(path.relative(repoRoot, file))) {
    throw new PublishedStateError(`environments.${env}.state.file "${rel}" is outside the repository; give a path inside it.`);
  }
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new PublishedStateError(`${env}'s published state file ${rel} does not exist in ${repoRoot}.`);
  }
  if (size > MAX_STATE_BYTES) throw new PublishedStateError(`${rel} is ${size} bytes; a published state is at most ${MAX_STATE_BYTES}.`);
  return fs.readFileSync(file, 'utf8');
}

/**
 * The command from the user's own repro.yaml, run by their shell in the repository root (it is
 * theirs to write, like a package.json script); nothing else is put into it. Bounded in time and
 * output; its standard output is the document.
 */
function runStateCommand(command: string, cwd: string, timeoutMs: number, env: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { cwd, timeout: timeoutMs, maxBuffer: MAX_STATE_BYTES, killSignal: 'SIGKILL', ...(signal ? { signal } : {}) }, (err, stdout, stderr) => {
      if (!err) { resolve(stdout); return; }
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
      const why = e.killed ? `no answer within ${timeoutMs / 1000} s` : e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' ? `more than ${MAX_STATE_BYTES} bytes of output`
        : `exit ${String(e.code)}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-1)[0]}` : ''}`;
      reject(new PublishedStateError(`${env}'s published state command "${command}" failed (${why}).`));
    });
  });
}
