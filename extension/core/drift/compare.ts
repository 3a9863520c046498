// The comparison: every other side against the reference, subject by subject and attribute by
// attribute. Pure and synchronous (the benchmark times it alone): observers gather the facts,
// this only compares them. Severity: a different type, or a major or minor version apart, is an
// error; a patch apart, a digest apart, a different flag, a missing variable, a warning.
import { parseVersion, releaseGap } from '../manifest/versions';
import { kindOf, SEVERITY_RANK, STATE_RANK, type AttrKind, type Cell, type CellState, type DriftReport, type Fact, type Row, type Severity, type Side } from './model';

export function compareSides(reference: Side, others: readonly Side[]): DriftReport {
  const all = [reference, ...others];
  // Subjects and attributes in a stable order: the reference's first, then what others add.
  const attrs = new Map<string, Set<string>>();
  for (const side of all) {
    for (const [subject, facts] of Object.entries(side.facts)) {
      let set = attrs.get(subject);
      if (!set) attrs.set(subject, (set = new Set()));
      for (const a of Object.keys(facts)) set.add(a);
    }
  }
  const unavailable = new Set(others.filter((o) => o.unavailable).map((o) => o.id));
  const rows: Row[] = [];
  const counts: Record<CellState, number> = { 'in-sync': 0, drift: 0, missing: 0, unknown: 0 };
  let worst: Severity = 'none';
  for (const [subject, set] of attrs) {
    for (const attribute of set) {
      const kind = kindOf(attribute);
      const ref = reference.facts[subject]?.[attribute];
      const cells: Cell[] = [];
      for (const side of others) {
        if (!side.kinds.includes(kind)) continue;
        const cell = compareCell(reference, side, subject, attribute, kind, ref);
        if (cell) cells.push(cell);
      }
      if (!cells.length && !ref) continue;
      const row: Row = { subject, attribute, kind, ...(ref ? { reference: ref.value } : {}), cells, state: 'in-sync', severity: 'none' };
      // A side that could not be seen says nothing of this row: it does not make the row unknown
      // while the sides that were seen agree. With none seen, the row is unknown.
      const seen = reference.unavailable ? [] : cells.filter((c) => !unavailable.has(c.side));
      if (!seen.length) row.state = 'unknown';
      for (const c of seen) {
        if (STATE_RANK[c.state] > STATE_RANK[row.state]) row.state = c.state;
        if (SEVERITY_RANK[c.severity] > SEVERITY_RANK[row.severity]) row.severity = c.severity;
      }
      for (const c of cells) counts[c.state]++;
      if (SEVERITY_RANK[row.severity] > SEVERITY_RANK[worst]) worst = row.severity;
      rows.push(row);
    }
  }
  return { reference: reference.id, sides: all, rows, counts, severity: worst };
}

function compareCell(reference: Side, side: Side, subject: string, attribute: string, kind: AttrKind, ref: Fact | undefined): Cell | undefined {
  const subjectFacts = side.facts[subject];
  const mine = subjectFacts?.[attribute];
  const base = { side: side.id, ...(mine ? { value: mine.value, ...(mine.at ? { at: mine.at } : {}), ...(mine.detail ? { detail: mine.detail } : {}) } : {}) };
  const named = kind === 'env' || kind === 'secret';
  if (reference.unavailable) return { ...base, state: 'unknown', severity: 'info', reason: `${reference.label}: ${reference.unavailable}` };
  if (side.unavailable) return { ...base, state: 'unknown', severity: 'info', reason: side.unavailable };
  const refHasSubject = reference.facts[subject] !== undefined;
  if (!subjectFacts) {
    if (side.partial) return undefined;
    if (!refHasSubject) return undefined;
    return { ...base, state: 'missing', severity: named ? 'warning' : 'error', reason: `${reference.label} has ${subject}; ${side.label} does not` };
  }
  if (!refHasSubject) {
    if (reference.partial || named) return undefined;
    return { ...base, state: 'missing', severity: 'warning', reason: `${side.label} has ${subject}; ${reference.label} does not` };
  }
  if (!ref && !mine) return undefined;
  if (named) {
    // Names only: what the reference has and this side lacks; extra local ones are normal.
    if (!ref) return undefined;
    if (!mine) return { ...base, state: 'missing', severity: 'warning', reason: `${reference.label} sets it; ${side.label} does not` };
    return { ...base, state: 'in-sync', severity: 'none' };
  }
  if (!ref) return { ...base, state: 'unknown', severity: 'info', reason: `${reference.label} does not say` };
  if (!mine) return { ...base, state: 'unknown', severity: 'info', reason: `${side.label} does not say` };
  // The subject's type decides how its versions are numbered (PostgreSQL's second number is a fix).
  const type = reference.facts[subject]?.['type']?.value ?? reference.facts[subject]?.['runtime']?.value;
  const d = differ(kind, ref.value, mine.value, type);
  return d ? { ...base, state: 'drift', severity: d.severity, reason: d.reason } : { ...base, state: 'in-sync', severity: 'none' };
}

/** undefined when the two values agree. */
export function differ(kind: AttrKind, a: string, b: string, type?: string): { severity: Severity; reason: string } | undefined {
  if (kind === 'version') {
    const va = parseVersion(a);
    const vb = parseVersion(b);
    if (!va || !vb) return a === b ? undefined : { severity: 'warning', reason: 'different versions' };
    const gap = releaseGap(type, va, vb);
    if (gap === 'same') return undefined;
    return { severity: gap === 'patch' ? 'warning' : 'error', reason: `a ${gap} version apart` };
  }
  if (a === b) return undefined;
  if (kind === 'type') return { severity: 'error', reason: 'a different type' };
  if (kind === 'digest') return { severity: 'warning', reason: 'a different image build (digest)' };
  return { severity: 'warning', reason: 'a different value' };
}

export const cellStateOf = (row: Row, side: string): Cell | undefined => row.cells.find((c) => c.side === side);
