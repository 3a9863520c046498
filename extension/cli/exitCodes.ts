// Exit codes of the `repro` command (documented in the README). 2 is kept for "drift found",
// as `terraform plan -detailed-exitcode` does; the rest follow BSD sysexits.
export const EXIT = {
  ok: 0,
  /** The manifest or an imported file has errors, or an operation failed. */
  error: 1,
  /** Drift between environments (repro drift). */
  drift: 2,
  /** The command line is wrong. */
  usage: 64,
  /** Nothing to work on: no repro.yaml and nothing importable. */
  noInput: 66,
  /** Refused to overwrite an existing file. */
  cantCreate: 73,
  /** Cancelled (Ctrl-C). */
  cancelled: 130,
} as const;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}
