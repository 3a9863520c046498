// The relationship graph between apps and services: who must be up before whom.

export interface Graph {
  /** node -> the nodes it depends on (its relationships' targets). */
  deps: Map<string, string[]>;
}

export function relationshipGraph(nodes: Record<string, { relationships?: Record<string, string> } | undefined>): Graph {
  const deps = new Map<string, string[]>();
  for (const [name, n] of Object.entries(nodes)) {
    const targets = Object.values(n?.relationships ?? {}).map(targetName);
    deps.set(name, [...new Set(targets)]);
  }
  return { deps };
}

/** "db:postgresql" -> "db". */
export const targetName = (ref: string): string => ref.split(':')[0]!;

/** Every cycle's node path (first node repeated at the end), each reported once. */
export function findCycles(g: Graph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of g.deps.get(n) ?? []) {
      if (!g.deps.has(d)) continue;
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...g.deps.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

/**
 * Start order as waves: every node in a wave depends only on nodes of earlier waves, so the
 * nodes of one wave can start in parallel. Throws on a cycle (the loader rejects those first).
 */
export function startWaves(g: Graph): string[][] {
  const remaining = new Map([...g.deps].map(([n, ds]) => [n, ds.filter((d) => g.deps.has(d) && d !== n)]));
  const waves: string[][] = [];
  const done = new Set<string>();
  while (remaining.size) {
    const wave = [...remaining].filter(([, ds]) => ds.every((d) => done.has(d))).map(([n]) => n).sort();
    if (!wave.length) throw new Error(`relationship cycle among: ${[...remaining.keys()].join(', ')}`);
    for (const n of wave) { remaining.delete(n); done.add(n); }
    waves.push(wave);
  }
  return waves;
}
