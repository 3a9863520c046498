// The vocabulary of drift: what each side (an environment's published state, repro.yaml, the
// manifest at the environment's commit, the local session, compose files, this machine's
// toolchain) says about each subject (a service, an app, the feature flags), attribute by
// attribute, and how each side compares with the reference side.

/** What an attribute is about; decides how two values compare and how bad a difference is. */
export type AttrKind = 'type' | 'version' | 'digest' | 'env' | 'secret' | 'flag';

export interface Fact {
  value: string;
  /** Where the value is written, for "open the line" fixes. */
  at?: { file: string; line: number; column: number };
  /** Extra words shown on hover ("from .nvmrc", "image postgres:15"). */
  detail?: string;
}

/** subject ("service db", "app web", "flags") -> attribute ("version", "env STRIPE_KEY") -> fact. */
export type Facts = Record<string, Record<string, Fact>>;

export type SideKind = 'environment' | 'manifest' | 'release' | 'local' | 'compose' | 'toolchain';

export interface Side {
  id: string;
  kind: SideKind;
  /** As shown: "production", "repro.yaml", "repro.yaml @ 1a2b3c4", "session shop", "compose.yaml", "this machine". */
  label: string;
  /** Could not be observed (no session running, the state did not answer): every cell unknown. */
  unavailable?: string;
  /** Extra words: "as of 10 min ago, offline", "HEAD 1a2b3c4". */
  note?: string;
  /** The attribute kinds this side can speak of; others get no cell. */
  kinds: readonly AttrKind[];
  /** It shows only part of the picture (compose, toolchain): a subject it lacks is not "missing". */
  partial?: boolean;
  facts: Facts;
}

export type CellState = 'in-sync' | 'drift' | 'missing' | 'unknown';
export type Severity = 'error' | 'warning' | 'info' | 'none';

export interface Cell {
  side: string;
  value?: string;
  state: CellState;
  severity: Severity;
  /** Why, in words: "a minor version apart", "not running in the session". */
  reason?: string;
  at?: Fact['at'];
  detail?: string;
}

export interface Row {
  subject: string;
  attribute: string;
  kind: AttrKind;
  /** The reference side's value (undefined: the reference does not have it). */
  reference?: string;
  cells: Cell[];
  /** The worst of the cells. */
  state: CellState;
  severity: Severity;
}

export interface DriftReport {
  reference: string;
  sides: Side[];
  rows: Row[];
  counts: Record<CellState, number>;
  /** The worst severity of any cell. */
  severity: Severity;
}

export const SEVERITY_RANK: Record<Severity, number> = { none: 0, info: 1, warning: 2, error: 3 };
export const STATE_RANK: Record<CellState, number> = { 'in-sync': 0, unknown: 1, missing: 2, drift: 3 };

/** "service db" etc.: the subject keys every side uses. */
export const subjectOf = {
  service: (name: string): string => `service ${name}`,
  app: (name: string): string => `app ${name}`,
  flags: 'flags',
} as const;

export function kindOf(attribute: string): AttrKind {
  if (attribute === 'type' || attribute === 'runtime') return 'type';
  if (attribute === 'version') return 'version';
  if (attribute === 'digest') return 'digest';
  if (attribute.startsWith('env ')) return 'env';
  if (attribute.startsWith('secret ')) return 'secret';
  return 'flag';
}
