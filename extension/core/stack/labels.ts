// Every engine object Repro creates carries these labels, so a session's containers,
// networks and volumes can be found, shown and collected even after a crash.

export const LABEL = {
  session: 'dev.repro.session',
  project: 'dev.repro.project',
  incident: 'dev.repro.incident',
  service: 'dev.repro.service',
  role: 'dev.repro.role',
} as const;

export function sessionLabels(s: { session: string; project: string; incident?: string }): Record<string, string> {
  return {
    [LABEL.session]: s.session,
    [LABEL.project]: s.project,
    ...(s.incident ? { [LABEL.incident]: s.incident } : {}),
  };
}
