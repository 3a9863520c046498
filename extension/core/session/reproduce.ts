// One reproduction as a sequence of steps: resolve the incident's commit, check it out in an
// isolated worktree, read the manifest at that commit, bring the stack up, clone the data,
// ready. Each step reports progress; a cancel or a failure at any point undoes what earlier
// steps created, in reverse order, before the error reaches the caller. The steps' effects are
// injected (ReproduceDeps), so the extension, the CLI and the tests drive the same sequence.
import { createHash } from 'node:crypto';
import { mapFrames } from '../incident/frames';
import type { IncidentRequest, StackFrame } from '../incident/model';
import type { Manifest } from '../manifest/schema';
import { SESSION_ID } from '../stack/plan';
import type { RunningStack } from '../stack/up';
import type { Receipt, StepName, StepRecord } from './receipt';

/** What a reproduction needs to know of an incident (the incident model satisfies it). */
export interface IncidentRef {
  id: string;
  source: string;
  title?: string;
  environment?: string;
  service?: string;
  time?: string;
  url?: string;
  commit?: string;
  release?: string;
  /** The repository the incident names (a link's repo=); the clone must be a clone of it. */
  repository?: string;
  /** Innermost first; mapped onto the worktree's files for breakpoints. */
  frames?: readonly StackFrame[];
  /** The failing request (sanitized), kept in the receipt for "Replay Request". */
  request?: IncidentRequest;
}

export type ReproduceEvent =
  | { type: 'step'; step: StepName; state: 'start' | 'done' | 'skipped' | 'failed'; ms?: number; note?: string }
  | { type: 'detail'; step: StepName; message: string };

export interface ManifestAt {
  manifest: Manifest;
  /** The manifest file inside the worktree, and its text (hashed into the receipt). */
  file: string;
  text: string;
}

export interface ReproduceDeps {
  /** Throws when the clone is not a clone of `expected` (OtherRepositoryError). */
  checkRepository(expected: string): void;
  resolveCommit(ref: { commit?: string; release?: string }, signal: AbortSignal, progress: (m: string) => void): Promise<string>;
  /** The commit `env`'s published state names (repro.yaml's environments.<env>.state). */
  publishedCommit(env: string, signal: AbortSignal): Promise<{ commit: string; from: string }>;
  ensureWorktree(sha: string, signal: AbortSignal): Promise<{ path: string; reused: boolean }>;
  removeWorktree(path: string): Promise<void>;
  readManifest(worktree: string): ManifestAt;
  /** The worktree's files, repository-relative with '/' (git ls-files). */
  listFiles(worktree: string): Promise<string[]>;
  up(manifest: Manifest, worktree: string, session: string, signal: AbortSignal, progress: (m: string) => void): Promise<RunningStack>;
  removeSession(session: string): Promise<void>;
  /** Absent until data sources are supported: the step is then recorded as skipped. */
  cloneData?(manifest: Manifest, stack: RunningStack, signal: AbortSignal, progress: (m: string) => void): Promise<Receipt['data']>;
  /**
   * The data's coverage gate, where it can run before the stack (dump files of the worktree):
   * run while the stack starts, it stops the reproduction (and the stack's start) when the
   * rules leave personal data uncovered. What it proved is the session's, for cloneData.
   */
  checkCoverage?(manifest: Manifest, worktree: string, session: string, signal: AbortSignal, progress: (m: string) => void): Promise<void>;
}

export interface ReproduceOptions {
  session: string;
  /** The developer's clone (its top folder), recorded so that the session's end removes the worktree. */
  clone: string;
  signal?: AbortSignal;
  onEvent?: (e: ReproduceEvent) => void;
  now?: () => Date;
}

export class ReproduceCancelledError extends Error {
  constructor(readonly step: StepName) {
    super(`Cancelled during "${step}"; everything the reproduction had created was removed.`);
    this.name = 'ReproduceCancelledError';
  }
}

export class ReproduceStepError extends Error {
  constructor(readonly step: StepName, cause: unknown, cleanup: string[]) {
    super(`${(cause as Error)?.message ?? String(cause)}${cleanup.length ? `\nUndoing the reproduction failed too: ${cleanup.join('; ')}` : ''}`);
    this.name = 'ReproduceStepError';
    this.cause = cause;
  }
}

export async function reproduce(incident: IncidentRef, deps: ReproduceDeps, opts: ReproduceOptions): Promise<{ receipt: Receipt; stack: RunningStack }> {
  const signal = opts.signal ?? new AbortController().signal;
  const emit = opts.onEvent ?? (() => undefined);
  const now = opts.now ?? (() => new Date());
  const startedAt = now();
  const t0 = performance.now();
  const steps: StepRecord[] = [];
  const undo: { what: string; run: () => Promise<void> }[] = [];
  let current: StepName = 'resolve';
  let gate: Gate | undefined;

  /** `stopped`: the signal the step's work runs under, when it is not only the user's cancel. */
  const step = async <T>(name: StepName, fn: (progress: (m: string) => void) => Promise<T>, note?: (v: T) => string | undefined, stopped = signal): Promise<T> => {
    current = name;
    if (signal.aborted) throw new ReproduceCancelledError(name);
    emit({ type: 'step', step: name, state: 'start' });
    const t = performance.now();
    try {
      const v = await fn((message) => emit({ type: 'detail', step: name, message }));
      const ms = Math.round(performance.now() - t);
      const n = note?.(v);
      steps.push({ step: name, status: 'done', ms, ...(n ? { note: n } : {}) });
      emit({ type: 'step', step: name, state: 'done', ms, ...(n ? { note: n } : {}) });
      if (signal.aborted) throw new ReproduceCancelledError(name);
      return v;
    } catch (e) {
      const ms = Math.round(performance.now() - t);
      if (!steps.some((s) => s.step === name)) steps.push({ step: name, status: stopped.aborted ? 'cancelled' : 'failed', ms });
      emit({ type: 'step', step: name, state: 'failed', ms });
      throw e;
    }
  };

  try {
    let stateFrom: string | undefined;
    const sha = await step('resolve', async (p) => {
      // Before anything is fetched: a link for another project stops here.
      if (incident.repository) deps.checkRepository(incident.repository);
      let ref: { commit?: string; release?: string } = { ...(incident.commit ? { commit: incident.commit } : {}), ...(incident.release ? { release: incident.release } : {}) };
      if (!ref.commit && !ref.release) {
        const env = incident.environment ?? 'production';
        p(`reading ${env}'s published state`);
        const published = await deps.publishedCommit(env, signal);
        stateFrom = `${env}'s published state (${published.from})`;
        ref = { commit: published.commit };
      }
      return deps.resolveCommit(ref, signal, p);
    }, (v) => `${v.slice(0, 12)}${incident.release ? ` from release ${incident.release}` : stateFrom ? ` from ${stateFrom}` : ''}`);
    const wt = await step('worktree', async () => {
      const w = await deps.ensureWorktree(sha, signal);
      // A reused worktree belongs to an earlier session too: leave it for that one's teardown.
      if (!w.reused) undo.push({ what: `worktree ${w.path}`, run: () => deps.removeWorktree(w.path) });
      return w;
    }, (w) => (w.reused ? 'reused' : 'created'));
    const at = await step('manifest', async () => deps.readManifest(wt.path), (m) => m.file);
    // Frames from the alert -> files of the worktree, for breakpoints; cheap, and a frame that
    // maps nowhere says why rather than failing the reproduction.
    const frames = incident.frames?.length
      ? mapFrames(incident.frames, await deps.listFiles(wt.path)).map((m) => ({ ...m.frame, ...(m.file ? { path: m.file } : {}), ...(m.reason ? { reason: m.reason } : {}) }))
      : [];
    // The coverage gate reads the worktree's dumps while the stack starts (the disk and this
    // process's CPU against the engine's work): rules that leave personal data uncovered stop
    // the stack's start, and the data step says what to add to repro.yaml.
    gate = deps.cloneData && deps.checkCoverage
      ? startGate((sig) => deps.checkCoverage!(at.manifest, wt.path, opts.session, sig, (message) => emit({ type: 'detail', step: 'data', message })), signal)
      : undefined;
    let stack: RunningStack | undefined;
    try {
      stack = await step('stack', async (p) => {
        // up() removes what it created when it fails or is cancelled; and when it fails because
        // the session already exists, that session is someone else's and must not be undone.
        const s = await deps.up(at.manifest, wt.path, opts.session, gate?.stackSignal ?? signal, p);
        undo.push({ what: `session ${opts.session}`, run: () => deps.removeSession(opts.session) });
        return s;
      }, (s) => `${s.containers.length} containers`, gate?.stackSignal);
    } catch (e) {
      if (signal.aborted || !gate?.failure) throw e;
      // The gate stopped it: the data step reports why.
    }
    let data: Receipt['data'];
    if (deps.cloneData) {
      data = await step('data', async (p) => {
        await gate?.done;
        if (gate?.failure) throw gate.failure.error;
        return deps.cloneData!(at.manifest, stack!, signal, p);
      }, (d) => (d ? `snapshot ${d.snapshot}` : 'no data source'));
    } else {
      steps.push({ step: 'data', status: 'skipped', ms: 0, note: 'data cloning is not available' });
      emit({ type: 'step', step: 'data', state: 'skipped', note: 'data cloning is not available' });
    }
    if (!stack) throw new Error('the stack did not start'); // unreachable: the data step threw
    steps.push({ step: 'ready', status: 'done', ms: 0 });
    emit({ type: 'step', step: 'ready', state: 'done', ms: 0 });
    const totalMs = Math.round(performance.now() - t0);
    const receipt: Receipt = {
      version: 1,
      session: opts.session,
      project: at.manifest.project.name,
      incident: pick(incident),
      ...(incident.repository ? { repository: incident.repository } : {}),
      clone: opts.clone,
      commit: sha,
      ...(incident.release ? { release: incident.release } : {}),
      worktree: wt.path,
      manifest: { file: at.file, sha256: createHash('sha256').update(at.text).digest('hex') },
      images: stack.containers.map((c) => ({ entry: c.entry, ref: c.image.ref, id: c.image.id, ...(c.image.digest ? { digest: c.image.digest } : {}) })),
      ...(data ? { data } : {}),
      ...(frames.length ? { frames } : {}),
      ...(incident.request ? { request: incident.request } : {}),
      published: stack.published.map((p) => ({ entry: p.entry, name: p.name, url: p.name === 'http' ? `http://127.0.0.1:${p.hostPort}/` : `127.0.0.1:${p.hostPort}` })),
      steps,
      startedAt: startedAt.toISOString(),
      finishedAt: now().toISOString(),
      totalMs,
    };
    return { receipt, stack };
  } catch (e) {
    // Nothing of the reproduction runs on once it failed: the gate's read stops too.
    gate?.stop();
    await gate?.done;
    const problems: string[] = [];
    for (const u of undo.reverse()) {
      try { await u.run(); } catch (err) { problems.push(`${u.what}: ${(err as Error).message}`); }
    }
    if (signal.aborted) throw new ReproduceCancelledError(current);
    throw new ReproduceStepError(current, e, problems);
  }
}

interface Gate {
  /** Settles when the gate is done (it never rejects: see failure). */
  done: Promise<void>;
  /** Set when the gate failed (or was stopped). */
  failure?: { error: unknown };
  /** What the stack's start runs under: the user's cancel, or the gate's failure. */
  stackSignal: AbortSignal;
  stop(): void;
}

/** Runs `check` beside the stack's start; its failure stops that start. */
function startGate(check: (signal: AbortSignal) => Promise<void>, signal: AbortSignal): Gate {
  const own = new AbortController();
  const stack = new AbortController();
  const onAbort = () => { own.abort(signal.reason); stack.abort(signal.reason); };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const gate: Gate = {
    stackSignal: stack.signal,
    stop: () => own.abort(new Error('the reproduction stopped')),
    done: check(own.signal).then(
      () => undefined,
      (error: unknown) => { gate.failure = { error }; stack.abort(error); },
    ).finally(() => signal.removeEventListener('abort', onAbort)),
  };
  return gate;
}

function pick(i: IncidentRef): Receipt['incident'] {
  return {
    id: i.id, source: i.source,
    ...(i.title ? { title: i.title } : {}), ...(i.environment ? { environment: i.environment } : {}),
    ...(i.service ? { service: i.service } : {}), ...(i.time ? { time: i.time } : {}), ...(i.url ? { url: i.url } : {}),
  };
}

/** A session name for an incident: the project and the incident id, as the engine allows. */
export function sessionNameFor(project: string, incidentId: string): string {
  const id = incidentId.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '');
  const base = project.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+/, '').slice(0, 20).replace(/-+$/, '');
  const name = [base, id].filter(Boolean).join('-').slice(0, 41).replace(/[-._]+$/, '');
  // Ids made only of characters the engine refuses still get a stable, distinct name.
  return SESSION_ID.test(name) ? name : `incident-${createHash('sha256').update(incidentId).digest('hex').slice(0, 12)}`;
}
