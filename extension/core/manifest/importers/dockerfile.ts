// Just enough of a Dockerfile to know how a compose service that builds its own image runs:
// the base image of the stage it builds, its command, the port it exposes, its working folder.
export interface DockerfileFacts {
  from?: string;
  cmd?: string;
  port?: number;
  workdir?: string;
}

export function readDockerfile(text: string, target?: string): DockerfileFacts {
  const lines = joinContinuations(text);
  const stages: { name?: string; facts: DockerfileFacts }[] = [];
  const args = new Map<string, string>();
  for (const line of lines) {
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (op === 'ARG' && !stages.length) {
      const [k, v] = rest.split('=');
      if (k && v !== undefined) args.set(k.trim(), v.trim().replace(/^["']|["']$/g, ''));
      continue;
    }
    if (op === 'FROM') {
      const fm = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest);
      const image = fm?.[1]?.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, k: string) => args.get(k) ?? '');
      const parent = stages.find((s) => s.name === image);
      // "FROM builder" inherits the earlier stage's base image.
      stages.push({ ...(fm?.[2] ? { name: fm[2] } : {}), facts: parent ? { ...parent.facts } : image ? { from: image } : {} });
      continue;
    }
    const cur = stages[stages.length - 1];
    if (!cur) continue;
    if (op === 'CMD' || op === 'ENTRYPOINT') {
      const cmd = execForm(rest) ?? rest;
      cur.facts.cmd = cmd;
    } else if (op === 'EXPOSE' && cur.facts.port === undefined) {
      const p = Number(/^(\d+)/.exec(rest)?.[1]);
      if (p > 0 && p < 65536) cur.facts.port = p;
    } else if (op === 'WORKDIR') {
      cur.facts.workdir = rest;
    }
  }
  const stage = (target ? stages.find((s) => s.name === target) : undefined) ?? stages[stages.length - 1];
  return stage?.facts ?? {};
}

function joinContinuations(text: string): string[] {
  const out: string[] = [];
  let acc = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!acc && (line.startsWith('#') || !line)) continue;
    if (line.endsWith('\\')) { acc += line.slice(0, -1) + ' '; continue; }
    out.push((acc + line).trim());
    acc = '';
  }
  if (acc) out.push(acc.trim());
  return out;
}

/** ["node", "server.js"] -> node server.js (arguments with spaces quoted). */
export function execForm(s: string): string | undefined {
  if (!s.startsWith('[')) return undefined;
  try {
    const parts: unknown = JSON.parse(s);
    if (!Array.isArray(parts) || !parts.every((p) => typeof p === 'string')) return undefined;
    return joinArgs(parts as string[]);
  } catch {
    return undefined;
  }
}

export const joinArgs = (parts: readonly string[]): string =>
  parts.map((p) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`)).join(' ');
