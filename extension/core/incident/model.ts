// The one shape every alert source and every reproduce link becomes. All of it comes from
// outside (an alert tool's webhook, a link someone clicked), so each field is checked where an
// Incident is made and the types below describe only checked values: the id is safe in file
// names and engine labels, a commit is hex, a release cannot be read as a git option, request
// headers carry no credentials.

export const INCIDENT_SOURCES = ['link', 'alertmanager', 'grafana', 'pagerduty', 'sentry', 'datadog', 'opsgenie'] as const;
export type IncidentSource = (typeof INCIDENT_SOURCES)[number];

export interface StackFrame {
  /**
   * The path as the runtime reported it: absolute in the build (/app/src/x.ts), a bundler URL
   * (webpack:///./src/x.ts) or relative. Only ever mapped onto a repository file
   * (frames.ts), never opened or passed to a shell as it is.
   */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column?: number;
  function?: string;
  /** false when the tool marks the frame as library code. */
  inApp?: boolean;
}

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The request that failed, to replay against the reproduction. */
export interface IncidentRequest {
  method: HttpMethod;
  /** Starts with '/', may carry the query string. */
  path: string;
  /** Lower-case names; credentials and session headers removed (headers.ts). */
  headers: Record<string, string>;
  body?: string;
}

export interface Incident {
  /** Matches ID_PATTERN. */
  id: string;
  source: IncidentSource;
  title: string;
  environment?: string;
  service?: string;
  /** ISO-8601 in UTC (Date.toISOString()). */
  time?: string;
  /** Lower-case hex, 7 to 40 digits. */
  commit?: string;
  /** A tag or version (RELEASE_PATTERN). */
  release?: string;
  /** Innermost first: frames[0] is where the error was raised. */
  frames: StackFrame[];
  request?: IncidentRequest;
  /** Link back to the alert in its tool (http or https). */
  url?: string;
  /** The git repository the incident is about (a clone URL); checked against the clone's remotes. */
  repository?: string;
  labels: Record<string, string>;
}

/** What every alert normaliser and parseAlertPayload return; `error` and `incident` exclude each other. */
export interface AlertParseResult {
  incident?: Incident;
  warnings: string[];
  error?: string;
}

// Patterns for the checked fields. Anchored, bounded, and with no character a shell, git or a
// path join treats specially where the value could reach one (ids become labels and folder
// names; releases may be checked out, so they cannot start with '-').
// An id starts with a letter or digit: "-x" would read as an option and ".." as the parent
// folder wherever an id becomes an argument or a folder name.
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const SHA_PATTERN = /^[0-9a-f]{7,40}$/;
export const RELEASE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/@+-]{0,127}$/;
/** Environment and service names: DNS-label-like, as Kubernetes, Datadog and Sentry use them. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export const LIMITS = {
  titleChars: 256,
  frames: 200,
  frameFileChars: 1024,
  functionChars: 256,
  pathChars: 2048,
  headers: 50,
  headerValueChars: 8192,
  bodyBytes: 64 * 1024,
  urlChars: 2048,
  labels: 200,
  labelKeyChars: 128,
  labelValueChars: 1024,
} as const;

/** A release is usable when it matches the pattern and has no '..' (it may name a git ref). */
export const isRelease = (v: string): boolean => RELEASE_PATTERN.test(v) && !v.includes('..') && !v.endsWith('/');
export const isName = (v: string): boolean => NAME_PATTERN.test(v);
export const isSha = (v: string): boolean => SHA_PATTERN.test(v);

type OptionalKey = 'environment' | 'service' | 'time' | 'commit' | 'release' | 'request' | 'url' | 'repository';

/**
 * An Incident from its fields, the optional ones left out when they have no value, so that
 * every source gives the same shape (no key holding undefined or '') whatever it lacked.
 */
export function makeIncident(fields: Omit<Incident, OptionalKey> & { [K in OptionalKey]?: Incident[K] | undefined }): Incident {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') out[k] = v;
  return out as unknown as Incident;
}
