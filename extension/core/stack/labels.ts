// Every engine object Repro creates carries these labels, so a session's containers,
// networks and volumes can be found, shown and collected even after a crash.

export const LABEL = {
  session: 'dev.repro.session',
  project: 'dev.repro.project',
  incident: 'dev.repro.incident',
  service: 'dev.repro.service',
  role: 'dev.repro.role',
  /** On the gateway: what each of its ports leads to, "web/http:3000=3000 web/debug:9229=9229". */
  publish: 'dev.repro.publish',
} as const;

export interface PublishEntry { entry: string; name: string; targetPort: number; containerPort: number }

export const formatPublish = (ports: readonly PublishEntry[]): string =>
  ports.map((p) => `${p.entry}/${p.name}:${p.targetPort}=${p.containerPort}`).join(' ');

export function parsePublish(label: string | undefined): PublishEntry[] {
  const out: PublishEntry[] = [];
  for (const part of (label ?? '').split(' ')) {
    const m = /^([a-z][a-z0-9_-]*)\/([a-z]+):(\d+)=(\d+)$/.exec(part);
    if (m) out.push({ entry: m[1]!, name: m[2]!, targetPort: Number(m[3]), containerPort: Number(m[4]) });
  }
  return out;
}

export function sessionLabels(s: { session: string; project: string; incident?: string }): Record<string, string> {
  return {
    [LABEL.session]: s.session,
    [LABEL.project]: s.project,
    ...(s.incident ? { [LABEL.incident]: s.incident } : {}),
  };
}
