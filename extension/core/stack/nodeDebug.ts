// A Node app's debugger, started by Repro: `--inspect` on all interfaces in NODE_OPTIONS (a
// published port reaches it only there). Every node process of the container reads that
// variable, so a command run beside the app (`repro exec web npm run migrate`) gets it back
// without Repro's option: its inspector would find the port taken and say so on every run.

/** Repro's option for the app's inspector on `port`. */
export const inspectOption = (port: number): string => `--inspect=0.0.0.0:${port}`;

const REPRO_INSPECT = /(^|\s)--inspect=0\.0\.0\.0:\d+(?=\s|$)/;

/**
 * The environment a command run beside the app needs ("NAME=value" entries that override the
 * container's), given the container's: NODE_OPTIONS without Repro's --inspect. Empty when
 * there is nothing to take away.
 */
export function besideAppEnv(containerEnv: readonly string[]): string[] {
  const options = containerEnv.find((e) => e.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length);
  if (options === undefined || !REPRO_INSPECT.test(options)) return [];
  return [`NODE_OPTIONS=${options.replace(REPRO_INSPECT, '').trim()}`];
}
