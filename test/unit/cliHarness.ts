import { main } from '../../extension/cli';
import type { Io } from '../../extension/cli/output';

/** `repro <argv>` in `cwd`, with what it printed and its exit code. */
export async function runCli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => { out += s + '\n'; }, err: (s) => { err += s + '\n'; }, cwd };
  const code = await main(argv, io);
  return { code, out, err };
}
