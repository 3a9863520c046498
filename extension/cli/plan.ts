import * as path from 'node:path';
import { hasErrors } from '../core/manifest/diagnostics';
import { readProject } from '../core/manifest/project';
import { planSession, projectSessionName, SESSION_ID, type Plan } from '../core/stack/plan';
import { listSessions } from '../core/stack/teardown';
import { cliEngine } from './engine';
import { CliError, EXIT } from './exitCodes';
import { printDiagnostics, summary, type Io } from './output';

export interface PlanFlags {
  json: boolean;
  name?: string;
  source?: string;
}

/** How long plan waits for the engine to say whether the session's name is taken. */
const ENGINE_CHECK_MS = 3000;

/**
 * repro plan [dir]: what a reproduction would create, without creating anything. It needs no
 * engine; when one answers, a session already running under the plan's name is pointed out,
 * since `repro up` would refuse it.
 */
export async function planCommand(io: Io, dir: string, flags: PlanFlags): Promise<number> {
  const p = readProject(dir);
  if (p.origin === 'none') throw new CliError(`No repro.yaml in ${dir}, and nothing to import.`, EXIT.noInput);
  if (!p.manifest || hasErrors(p.diagnostics)) {
    printDiagnostics(io, p.diagnostics);
    io.err(`cannot plan: ${summary(p.diagnostics)}`);
    return EXIT.error;
  }
  const session = flags.name ?? projectSessionName(p.manifest.project.name);
  if (!SESSION_ID.test(session)) throw new CliError(`invalid --name "${session}": use lower-case letters, digits, ".", "_" or "-" (at most 41).`, EXIT.usage);
  const plan = planSession(p.manifest, { session, sourceDir: path.resolve(flags.source ?? dir) });
  if (flags.json) io.out(JSON.stringify(plan, null, 2));
  else io.out(renderPlan(plan));
  const taken = await sessionOnEngine(session);
  if (taken) io.err(`note: a session named "${session}" already exists on the engine (${taken}): repro up would refuse this plan. End it (repro down ${session}) or pick another name (--name).`);
  return EXIT.ok;
}

/** The state of the session `name` on the engine, if it is there; nothing when no engine answers in time. */
async function sessionOnEngine(name: string): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ENGINE_CHECK_MS); });
  const check = (async () => {
    const { docker } = await cliEngine();
    const s = (await listSessions(docker)).find((x) => x.session === name);
    if (!s) return undefined;
    const states = [...new Set(s.containers.map((c) => c.state))];
    return `${s.containers.length} container(s)${states.length ? `: ${states.join(', ')}` : ''}`;
  })().catch(() => undefined);
  try {
    return await Promise.race([check, late]);
  } finally {
    clearTimeout(timer);
  }
}

function renderPlan(plan: Plan): string {
  const lines = [`session ${plan.session} (project ${plan.project})`, '', 'networks:'];
  for (const n of plan.networks) lines.push(`  ${n.name}${n.internal ? '  (internal: no route off the machine)' : '  (edge: only the gateway, ports on 127.0.0.1)'}`);
  lines.push('', 'volumes:');
  for (const v of plan.volumes) lines.push(`  ${v.name}`);
  if (!plan.volumes.length) lines.push('  (none)');
  lines.push('', 'containers (start order):');
  plan.waves.forEach((wave, i) => {
    for (const name of wave) {
      const c = plan.containers.find((x) => x.name === name)!;
      const ports = c.ports.map((p) => `${p.entry} ${p.name} ${p.targetPort} -> 127.0.0.1:auto`).join(', ');
      // Added capabilities loosen the container's confinement: the plan says so.
      const caps = c.capAdd?.length ? `  capabilities +${c.capAdd.join(' +')}` : '';
      lines.push(`  ${i + 1}. ${c.name}  ${c.image}  host ${c.hostname}${ports ? `  [${ports}]` : ''}${caps}`);
    }
  });
  return lines.join('\n');
}
