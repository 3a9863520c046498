// A problem found in a manifest or an imported file, located precisely enough for an editor
// to jump to it and phrased so a person knows what to change.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. "unknown-key" (documented in the README). */
  code: string;
  /** Absolute or workspace-relative path of the file the problem is in. */
  file: string;
  /** 1-based line and column; 0 when the problem concerns the whole file. */
  line: number;
  column: number;
  /** Dotted path inside the document, e.g. "services.db.type". */
  path: string;
  /** What is wrong. */
  message: string;
  /** How to fix it. */
  hint?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  const at = d.path ? ` (${d.path})` : '';
  return `${where}: ${d.severity} ${d.code}${at}: ${d.message}${d.hint ? `\n  fix: ${d.hint}` : ''}`;
}

export const hasErrors = (ds: readonly Diagnostic[]): boolean => ds.some((d) => d.severity === 'error');

/** Edit distance counting a swap of two neighbours as one edit ("prot" is one from "port"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a small edit distance (ties go to one with the same first letter), or undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Math.max(2, Math.floor(word.length / 3)) + 1;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const score = editDistance(w, c.toLowerCase()) + (c[0]?.toLowerCase() === w[0] ? 0 : 0.5);
    if (score < bestScore) { best = c; bestScore = score; }
  }
  return best;
}
