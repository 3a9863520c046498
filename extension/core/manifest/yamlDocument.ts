// YAML parsing that keeps positions, so every diagnostic can point at a line and column.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import type { Diagnostic } from './diagnostics';

export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
  file: string;
  /** YAML syntax errors and warnings (duplicate keys, bad indentation, unknown tags...). */
  diagnostics: Diagnostic[];
}

/**
 * Alias expansions allowed when turning a document into data. Real compose files use merge keys
 * heavily (Sentry's expands a few thousand); a "billion laughs" document needs millions.
 */
export const MAX_ALIASES = 20000;

export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  // Custom tags (Upsun's !include, compose's !override/!reset) are kept as plain values
  // with a warning rather than failing the whole file.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: true, strict: false });
  const diagnostics: Diagnostic[] = [];
  const errorLines = new Set<number>();
  for (const e of doc.errors) {
    const { line, col } = lines.linePos(e.pos[0]);
    // The parser often reports one mistake several times at the same place; once is clearer.
    if (errorLines.has(line)) continue;
    errorLines.add(line);
    diagnostics.push({
      severity: 'error', code: e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax', file, line, column: col, path: '',
      message: e.code === 'DUPLICATE_KEY' ? `duplicate key "${/^[^:\n]*/.exec(text.slice(e.pos[0]))![0].trim()}": the same mapping holds it twice` : `not valid YAML: ${firstLine(e.message)}`,
      hint: e.code === 'DUPLICATE_KEY' ? 'Each name may appear once in a mapping: rename or merge the two entries.' : 'Check the indentation and quoting around this position.',
    });
  }
  for (const w of doc.warnings) {
    const { line, col } = lines.linePos(w.pos[0]);
    diagnostics.push({ severity: 'warning', code: 'yaml-warning', file, line, column: col, path: '', message: firstLine(w.message) });
  }
  return { doc, lines, file, diagnostics };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** Position of the node at `path` (or of its key, when `key` is set); falls back to the closest ancestor. */
export function positionOf(parsed: ParsedYaml, path: readonly (string | number)[], key = false): { line: number; column: number } {
  let node: unknown = parsed.doc.contents;
  let best: { line: number; column: number } = { line: 1, column: 1 };
  const at = (n: Node | null | undefined) => {
    if (n?.range) {
      const p = parsed.lines.linePos(n.range[0]);
      best = { line: p.line, column: p.col };
    }
  };
  at(node as Node);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isMap(node)) {
      const pair = (node.items as Pair[]).find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const last = i === path.length - 1;
      if (last && key) { at(pair.key as Node); return best; }
      at(pair.key as Node);
      if (pair.value) at(pair.value as Node);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item) break;
      at(item as Node);
      node = item;
    } else {
      break;
    }
  }
  return best;
}
