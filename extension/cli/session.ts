// Which session a stack command means: --session, else the project's default session name,
// else the only session on the engine.
import type Docker from 'dockerode';
import { readProject } from '../core/manifest/project';
import { projectSessionName } from '../core/stack/plan';
import { listSessions, type SessionSummary } from '../core/stack/teardown';
import { CliError, EXIT } from './exitCodes';

export function defaultSessionName(dir: string): string | undefined {
  const m = readProject(dir).manifest;
  return m ? projectSessionName(m.project.name) : undefined;
}

/** `pickWith` names how the calling command takes a session (a flag or a positional name), for the error. */
export async function resolveSession(docker: Docker, dir: string, explicit: string | undefined, pickWith = '--session <name>'): Promise<SessionSummary> {
  const sessions = await listSessions(docker);
  const wanted = explicit ?? defaultSessionName(dir);
  const found = wanted ? sessions.find((s) => s.session === wanted) : sessions.length === 1 ? sessions[0] : undefined;
  if (found) return found;
  if (!sessions.length) throw new CliError('No Repro session is running on this engine. Start one with "repro up".', EXIT.noInput);
  throw new CliError(`${wanted ? `No session named "${wanted}"` : 'Several sessions are running'}; pick one with ${pickWith}: ${sessions.map((s) => s.session).join(', ')}.`, EXIT.noInput);
}
