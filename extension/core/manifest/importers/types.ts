// What every importer returns, and the collector importers report through: each finding names
// the file, line and key it is about, so "what could not be carried over" is actionable.
import type { Diagnostic } from '../diagnostics';
import type { Manifest } from '../schema';
import { positionOf, type ParsedYaml } from '../yamlDocument';

export type ImportFormat = 'upsun' | 'platformsh' | 'compose' | 'devcontainer';

export interface ImportResult {
  format: ImportFormat;
  /** Every file that was read, absolute. */
  files: string[];
  /** Present when something could be imported and it validates as a repro.yaml. */
  manifest?: Manifest;
  diagnostics: Diagnostic[];
}

/** Position lookup for a file: YAML keeps node ranges; JSON files report the whole file. */
export type Locate = (path: readonly (string | number)[]) => { line: number; column: number };

export const yamlLocator = (parsed: ParsedYaml): Locate => (segs) => positionOf(parsed, segs, true);
export const noLocation: Locate = () => ({ line: 0, column: 0 });

export class Findings {
  readonly diagnostics: Diagnostic[] = [];

  warn(file: string, locate: Locate, segs: readonly (string | number)[], code: string, message: string, hint?: string): void {
    this.push('warning', file, locate, segs, code, message, hint);
  }

  error(file: string, locate: Locate, segs: readonly (string | number)[], code: string, message: string, hint?: string): void {
    this.push('error', file, locate, segs, code, message, hint);
  }

  private push(severity: 'error' | 'warning', file: string, locate: Locate, segs: readonly (string | number)[], code: string, message: string, hint?: string): void {
    this.diagnostics.push({ severity, code, file, path: segs.join('.'), ...locate(segs), message, ...(hint ? { hint } : {}) });
  }
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
