// repro drift: the chosen environment's published state against repro.yaml, the manifest at
// the environment's commit, the other environments, the local session, compose files and this
// machine's toolchain. Exit 0 in sync, 2 drift, 1 error, as `terraform plan -detailed-exitcode`.
import { computeDrift, DriftError, type DriftResult } from '../core/drift/drift';
import type { Cell, Row } from '../core/drift/model';
import { describeFreshness } from '../core/drift/stateCache';
import { readProject } from '../core/manifest/project';
import { reproHome } from '../core/session/storage';
import { cliEngine } from './engine';
import { CliError, EXIT } from './exitCodes';
import { printDiagnostics, type Io } from './output';

export interface DriftFlags { env?: string; session?: string; json: boolean; timeoutMs?: number }

export async function driftCommand(io: Io, dir: string, flags: DriftFlags, signal: AbortSignal): Promise<number> {
  const p = readProject(dir);
  if (p.origin !== 'repro.yaml') throw new CliError(`No repro.yaml in ${dir}: drift compares environments that repro.yaml declares. Run "repro import" or write one.`, EXIT.noInput);
  if (!p.manifest) {
    printDiagnostics(io, p.diagnostics);
    throw new CliError('repro.yaml has errors; fix them first (repro validate).', EXIT.error);
  }
  let r: DriftResult;
  try {
    r = await computeDrift(dir, p.manifest, {
      home: reproHome(), signal, docker: async () => (await cliEngine()).docker,
      ...(flags.env ? { env: flags.env } : {}), ...(flags.session ? { session: flags.session } : {}), ...(flags.timeoutMs ? { timeoutMs: flags.timeoutMs } : {}),
    });
  } catch (e) {
    if (e instanceof DriftError) throw new CliError(e.message, EXIT.error);
    throw e;
  }
  const code = exitCodeOf(r);
  if (flags.json) {
    if (r.error) io.err(`repro: ${r.error}`);
    io.out(JSON.stringify({
      environment: r.env, exitCode: code, ...(r.error ? { error: r.error } : {}),
      ...(r.state ? { state: { from: r.state.state.from, commit: r.state.state.doc.commit, fetchedAt: new Date(r.state.fetchedAt).toISOString(), offline: r.state.offline } } : {}),
      sides: r.report.sides.map((s) => ({ id: s.id, label: s.label, ...(s.note ? { note: s.note } : {}), ...(s.unavailable ? { unavailable: s.unavailable } : {}) })),
      counts: r.report.counts, severity: r.report.severity, rows: r.report.rows,
    }, null, 2));
    return code;
  }
  printReport(io, r);
  return code;
}

export function exitCodeOf(r: DriftResult): number {
  if (r.error) return EXIT.error;
  return r.report.counts.drift + r.report.counts.missing > 0 ? EXIT.drift : EXIT.ok;
}

const MARK: Record<Cell['state'], string> = { 'in-sync': '=', drift: '≠', missing: '∅', unknown: '?' };

function printReport(io: Io, r: DriftResult): void {
  const ref = r.report.sides[0]!;
  if (r.error) io.err(`repro: ${r.error}`);
  io.out(`${r.env}${r.state ? ` (${describeFreshness(r.state)}, from ${r.state.state.from}, commit ${r.state.state.doc.commit.slice(0, 12)})` : ''} compared with:`);
  for (const s of r.report.sides.slice(1)) io.out(`  ${s.label}${s.unavailable ? `: not compared, ${s.unavailable}` : s.note ? `: ${s.note}` : ''}`);
  if (r.state?.offline) io.err(`repro: ${r.env}'s state did not answer (${r.state.reason}); using the copy ${describeFreshness(r.state)}`);
  let subject = '';
  const labels = new Map(r.report.sides.map((s) => [s.id, s.label]));
  // Sides that could not be seen are said once, above, not in every row.
  const seen = new Set(r.report.sides.filter((s) => !s.unavailable).map((s) => s.id));
  // So is the reference's own error (printed first): a cell it left unknown just says so.
  const why = (reason: string | undefined): string | undefined => (r.error && reason?.includes(r.error) ? `${r.env} not read` : reason);
  for (const row of r.report.rows) {
    if (row.state === 'in-sync' && row.kind !== 'type' && row.kind !== 'version' && row.kind !== 'digest') continue;
    if (row.subject !== subject) { subject = row.subject; io.out(`\n${subject}`); }
    io.out(`  ${row.attribute.padEnd(14)} ${ref.label} ${show(row.reference, row)}${row.cells.filter((c) => seen.has(c.side)).map((c) => `  ${MARK[c.state]} ${labels.get(c.side)} ${show(c.value, row)}${c.state === 'in-sync' ? '' : ` (${c.severity !== 'none' && c.severity !== 'info' ? `${c.severity}: ` : ''}${why(c.reason) ?? c.state})`}`).join('')}`);
  }
  const c = r.report.counts;
  io.out(`\n${c.drift} drift, ${c.missing} missing, ${c.unknown} unknown, ${c['in-sync']} in sync${r.error ? '' : c.drift + c.missing ? ` (worst: ${r.report.severity})` : ''}`);
}

const show = (v: string | undefined, row: Row): string => v === undefined ? '—' : row.kind === 'digest' ? v.slice(0, 19) : v;
