// Compose variable interpolation (${VAR}, ${VAR:-default}, ${VAR-default}, $VAR, $$) against
// the project's .env file only: the developer's own environment is not read, so an import
// gives the same repro.yaml on every machine.
import * as fs from 'node:fs';

export function readDotEnv(file: string): Map<string, string> {
  const vars = new Map<string, string>();
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { return vars; }
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  return vars;
}

export interface Interpolated {
  value: string;
  /** Variables that had no value and no default. */
  missing: string[];
}

export function interpolate(s: string, vars: ReadonlyMap<string, string>): Interpolated {
  const missing: string[] = [];
  const value = s.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (all === '$$') return '$';
      const name = (braced ?? bare)!;
      const v = vars.get(name);
      const unset = v === undefined || (op?.startsWith(':') && v === '');
      if (op === ':-' || op === '-') return unset ? (arg ?? '') : v!;
      if (op === ':+' || op === '+') return unset ? '' : (arg ?? '');
      if (unset) { missing.push(name); return ''; }
      return v!;
    });
  return { value, missing };
}
