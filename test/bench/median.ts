// The median time of a synchronous function, after a few warm-up runs (JIT and caches).
export function median(fn: () => void, runs: number, warmups = 5): number {
  for (let i = 0; i < warmups; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)]!;
}
