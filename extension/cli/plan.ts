import * as path from 'node:path';
import { hasErrors } from '../core/manifest/diagnostics';
import { readProject } from '../core/manifest/project';
import { planSession, SESSION_ID, type Plan } from '../core/stack/plan';
import { CliError, EXIT } from './exitCodes';
import { printDiagnostics, summary, type Io } from './output';

export interface PlanFlags {
  json: boolean;
  name?: string;
  source?: string;
}

/** repro plan [dir]: what a reproduction would create, without creating anything. */
export function planCommand(io: Io, dir: string, flags: PlanFlags): number {
  const p = readProject(dir);
  if (p.origin === 'none') throw new CliError(`No repro.yaml in ${dir}, and nothing to import.`, EXIT.noInput);
  if (!p.manifest || hasErrors(p.diagnostics)) {
    printDiagnostics(io, p.diagnostics);
    io.err(`cannot plan: ${summary(p.diagnostics)}`);
    return EXIT.error;
  }
  const session = flags.name ?? p.manifest.project.name.replace(/_/g, '-');
  if (!SESSION_ID.test(session)) throw new CliError(`invalid --name "${session}": use lower-case letters, digits, ".", "_" or "-" (at most 41).`, EXIT.usage);
  const plan = planSession(p.manifest, { session, sourceDir: path.resolve(flags.source ?? dir) });
  if (flags.json) io.out(JSON.stringify(plan, null, 2));
  else io.out(renderPlan(plan));
  return EXIT.ok;
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
      lines.push(`  ${i + 1}. ${c.name}  ${c.image}  host ${c.hostname}${ports ? `  [${ports}]` : ''}`);
    }
  });
  return lines.join('\n');
}
