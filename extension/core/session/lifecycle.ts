// The end of a reproduction, and the list of those that happened. A session's containers,
// networks and volumes go with it, and so does its worktree unless the developer changed
// something in it (a fix tried while debugging is never thrown away without being asked).
// The receipt stays, marked as ended: it is for the postmortem.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { openRepository } from '../git/repository';
import { removeWorktree, worktreeChanges } from '../git/worktree';
import { removeSession, type Removed } from '../stack/teardown';
import { readReceipt, writeReceipt, type Receipt } from './receipt';
import { sessionDir } from './storage';

export interface Ended {
  removed: Removed;
  /** The worktree removed with the session. */
  worktreeRemoved?: string;
  /** The worktree left in place, and why. */
  worktreeKept?: { path: string; reason: string };
}

export interface EndOptions {
  graceSeconds?: number;
  /** Remove the worktree even when files in it were changed. */
  discardChanges?: boolean;
  now?: () => Date;
}

/** Every receipt in Repro's storage, newest first. */
export function listReceipts(home: string): Receipt[] {
  const root = path.join(home, 'sessions');
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  return names
    .map((n) => readReceipt(path.join(root, n)))
    .filter((r): r is Receipt => r !== undefined)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/** Stops `session` on the engine and removes its worktree (see EndOptions). Idempotent. */
export async function endSession(docker: Docker, session: string, home: string, opts: EndOptions = {}): Promise<Ended> {
  const removed = await removeSession(docker, session, opts.graceSeconds === undefined ? {} : { graceSeconds: opts.graceSeconds });
  const dir = sessionDir(home, session);
  const receipt = readReceipt(dir);
  if (!receipt || receipt.endedAt) return { removed };
  const out: Ended = { removed };
  const wt = receipt.worktree;
  // A worktree is per commit: another live session of the same commit still runs its code.
  const sharedWith = listReceipts(home).find((r) => r.session !== session && !r.endedAt && path.resolve(r.worktree) === path.resolve(wt));
  if (sharedWith) {
    out.worktreeKept = { path: wt, reason: `session ${sharedWith.session} uses it too` };
  } else if (fs.existsSync(wt)) {
    const changes = opts.discardChanges ? [] : await worktreeChanges(wt, receipt.commit);
    if (changes.length) {
      out.worktreeKept = { path: wt, reason: `it has changes (${changes.slice(0, 5).join(', ')}${changes.length > 5 ? ', …' : ''}); copy what you need, then remove it with "repro down ${session} --discard"` };
    } else {
      await removeWorktree(await openRepository(receipt.clone), wt);
      out.worktreeRemoved = wt;
    }
  }
  if (!out.worktreeKept) writeReceipt(dir, { ...receipt, endedAt: (opts.now ?? (() => new Date()))().toISOString() });
  return out;
}
