// Printing for the CLI: diagnostics in the compiler-style "file:line:col: severity" form that
// terminals and editors link, relative to the current directory when shorter.
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { formatDiagnostic, type Diagnostic } from '../core/manifest/diagnostics';
import type { Attachment } from '../core/stack/execAttached';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
  /** A question on the terminal; absent when there is no terminal to ask in. */
  ask?: (question: string) => Promise<string | undefined>;
  /** Standard input as text, at most `maxBytes`. */
  readStdin?: (maxBytes: number) => Promise<string>;
  /** The process's own streams, for a command in a container attached to them (repro exec). */
  attach?: Attachment;
}

export const processIo = (): Io => ({
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  cwd: process.cwd(),
  ...(process.stdin.isTTY && process.stderr.isTTY ? { ask } : {}),
  readStdin,
  attach: { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
});

async function ask(question: string): Promise<string | undefined> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

async function readStdin(maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > maxBytes) throw new Error(`standard input is larger than ${maxBytes} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

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
