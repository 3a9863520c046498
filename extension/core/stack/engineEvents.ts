// What the engine's container events mean for what Repro shows.

/**
 * Whether a chunk of the engine's container events (JSON lines) changes what a view of
 * sessions shows. Health checks run through exec every few seconds per container: their
 * exec events (Docker's exec_create/exec_start/exec_die, Podman's exec/exec_died) change nothing shown (the health_status event that
 * follows a change does), and refreshing on them re-rendered the Sessions view's rows under the
 * user's pointer about once a second. A line that does not parse counts as a change.
 */
export function changesRows(chunk: Buffer | string): boolean {
  for (const line of chunk.toString().split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as { Action?: string; status?: string };
      if (!/^exec(?:_|:|$)/.test(e.Action ?? e.status ?? '')) return true;
    } catch {
      return true;
    }
  }
  return false;
}
