// Printing for the CLI: diagnostics in the compiler-style "file:line:col: severity" form that
// terminals and editors link, relative to the current directory when shorter.
import * as path from 'node:path';
import { formatDiagnostic, type Diagnostic } from '../core/manifest/diagnostics';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

export const processIo = (): Io => ({
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  cwd: process.cwd(),
});

export function printDiagnostics(io: Io, ds: readonly Diagnostic[]): void {
  for (const d of ds) {
    const rel = path.relative(io.cwd, d.file);
    io.err(formatDiagnostic({ ...d, file: rel && !rel.startsWith('..') ? rel : d.file }));
  }
}

export function summary(ds: readonly Diagnostic[]): string {
  const e = ds.filter((d) => d.severity === 'error').length;
  const w = ds.length - e;
  return `${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}`;
}
