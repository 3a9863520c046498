// What a reproduction will do, in words, before it does any of it: the text of the
// confirmation the extension shows and the CLI prints. It is computed from what is already on
// the machine (the workspace's manifest, the clone's remotes, Repro's storage folder) and runs
// nothing: no fetch, no engine call, no checkout.
import * as path from 'node:path';
import { sameRepository, type Repository } from '../git/repository';
import { WORKTREES_FOLDER } from '../git/worktree';
import type { Manifest } from '../manifest/schema';
import { planSession } from '../stack/plan';
import type { IncidentRef } from './reproduce';
import { describeStateLocation } from './publishedState';
import { repoStorage, sessionDir } from './storage';

export interface PreviewInput {
  incident: IncidentRef & { frames?: readonly unknown[] };
  repo: Repository;
  /** The manifest of the workspace, if it has a usable one (the one at the incident's commit is read after checkout). */
  manifest?: Manifest;
  home: string;
  session: string;
  /** "docker at unix:///var/run/docker.sock", when known. */
  engine?: string;
  /** Where the incident came from, e.g. "a link" or "the payload at https://...". */
  from?: string;
}

export interface Preview {
  title: string;
  /** One line per fact; what the dialog's detail and the CLI show. */
  lines: string[];
  /** Reasons not to go on; the confirmation offers no "Reproduce" when there is one. */
  blockers: string[];
}

export function previewReproduction(p: PreviewInput): Preview {
  const i = p.incident;
  const lines: string[] = [];
  const blockers: string[] = [];
  const about = [i.source !== 'link' ? i.source : '', i.environment ? `env ${i.environment}` : '', i.service ? `service ${i.service}` : '', i.time ?? ''].filter(Boolean).join(', ');
  lines.push(`Incident: ${i.id}${i.title && i.title !== `Incident ${i.id}` ? ` — ${i.title}` : ''}${about ? ` (${about})` : ''}${p.from ? `, from ${p.from}` : ''}`);

  const remotes = p.repo.remotes.map((r) => r.fetchUrl);
  if (i.repository) {
    if (p.repo.remotes.some((r) => sameRepository(r.fetchUrl, i.repository!) || sameRepository(r.pushUrl, i.repository!))) {
      lines.push(`Repository: ${i.repository} (this clone: ${p.repo.root})`);
    } else {
      blockers.push(`The incident is for ${i.repository}, but ${p.repo.root} is a clone of ${remotes.join(', ') || 'no remote'}. Open a clone of ${i.repository} and try again.`);
    }
  } else {
    lines.push(`Repository: not named by the incident; this clone is assumed (${p.repo.root}${remotes[0] ? `, ${remotes[0]}` : ''})`);
  }

  if (i.commit) lines.push(`Commit: ${i.commit}${i.release ? ` (release ${i.release})` : ''}, fetched from the remote only if the clone lacks it`);
  else if (i.release) lines.push(`Commit: the one tagged ${i.release}, fetched from the remote only if the clone lacks it`);
  else {
    const env = i.environment ?? 'production';
    const where = describeStateLocation(p.manifest, env);
    if (where && !where.startsWith('the command')) lines.push(`Commit: the one ${env}'s published state names (${where}), read once you confirm`);
    else blockers.push(`The incident names neither a commit nor a release, and repro.yaml gives no ${where ? 'url or file' : 'place'} where ${env} publishes its commit, so Repro cannot tell which code failed. Add commit= or release= to the alert's link (see "Repro: Copy Link Templates"), or declare environments.${env}.state.`);
  }

  const storage = repoStorage(p.home, p.repo.root);
  lines.push(`Worktree: ${path.join(storage, WORKTREES_FOLDER, (i.commit ?? '<commit>').slice(0, 12))}, detached; your working tree, index, stash and branches are not touched`);

  const where = `as session "${p.session}"${p.engine ? ` on ${p.engine}` : ''}, on an internal network with no route out, reachable only on 127.0.0.1`;
  if (p.manifest) {
    const plan = planSession(p.manifest, { session: p.session, sourceDir: p.repo.root });
    const parts = plan.containers.filter((c) => c.role !== 'gateway').map((c) => `${c.entry} (${c.image})`);
    lines.push(`Containers: ${parts.join(', ')} ${where} (as the workspace's manifest declares them; the one at the incident's commit is used)`);
  } else {
    lines.push(`Containers: those the manifest at the incident's commit declares, ${where}`);
  }

  const sources = Object.entries(p.manifest?.services ?? {}).flatMap(([name, s]) => (s.data ? [`${name} from ${describeSource(s.data.source)}`] : []));
  lines.push(`Data: ${sources.length ? `${sources.join('; ')}, scrubbed by repro.yaml's rules (a personal column without a rule stops the clone) and checked before use` : 'no data source declared; the services start empty'}`);
  if (i.frames?.length) lines.push(`Stack: ${i.frames.length} frame${i.frames.length === 1 ? '' : 's'} to map onto the worktree`);
  lines.push(`Receipt: ${path.join(sessionDir(p.home, p.session), 'receipt.md')}`);
  return { title: `Reproduce incident ${i.id}?`, lines, blockers };
}

function describeSource(s: NonNullable<NonNullable<Manifest['services']>[string]['data']>['source']): string {
  if ('dump' in s) return `the dump ${s.dump}`;
  if ('live' in s) return `the live database in $${s.live.env}`;
  if ('rdb' in s) return `the RDB file ${s.rdb}`;
  return `the files ${s.files}`;
}
