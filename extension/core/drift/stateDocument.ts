// An environment's published state, version 1: what it really runs. A deploy pipeline writes
// it (`repro state`) and publishes it where repro.yaml's environments.<env>.state says; Repro
// reads it to find an incident's commit and to show drift. One TypeBox definition gives the
// TypeScript type, media/repro-state.schema.json (scripts/write-schema.mjs) and the check.
// Env vars and secrets are listed by name only: a document that carries values is refused.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const STATE_VERSION = 1;

const Sha = Type.String({ pattern: '^[0-9a-fA-F]{7,40}$', description: 'The git commit the environment runs (7 to 40 hex digits).' });
const Digest = Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'The image digest, "sha256:" and 64 hex digits.' });
const VarName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' });

const ServiceState = Type.Object({
  type: Type.String({ pattern: '^[a-z][a-z0-9-]*$', description: 'The service type, as repro.yaml names it ("postgresql", "redis").' }),
  version: Type.String({ minLength: 1, maxLength: 64, description: 'The version that really runs, as exact as known ("15.4").' }),
  image: Type.Optional(Type.String({ maxLength: 512, description: 'The image reference ("postgres:15.4").' })),
  digest: Type.Optional(Digest),
}, { additionalProperties: false });

const RuntimeState = Type.Object({
  type: Type.String({ pattern: '^[a-z][a-z0-9-]*$', description: 'The runtime, as repro.yaml names it ("nodejs", "python").' }),
  version: Type.String({ minLength: 1, maxLength: 64, description: 'The runtime version that really runs ("20.11.1").' }),
  image: Type.Optional(Type.String({ maxLength: 512 })),
  digest: Type.Optional(Digest),
  env: Type.Optional(Type.Array(VarName, { maxItems: 2000, description: 'Names of the environment variables the app gets. Never their values.' })),
  secrets: Type.Optional(Type.Array(VarName, { maxItems: 2000, description: 'Names of the secrets the app gets. Never their values.' })),
}, { additionalProperties: false });

export const StateDocumentSchema = Type.Object({
  version: Type.Literal(STATE_VERSION, { description: 'The state document format version. Always 1.' }),
  environment: Type.Optional(Type.String({ maxLength: 64, description: 'The environment this describes ("production").' })),
  generatedAt: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T', maxLength: 64, description: 'When it was written (ISO 8601).' })),
  commit: Sha,
  manifest: Type.Optional(Type.Object({
    hash: Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'sha256 of repro.yaml as deployed.' }),
  }, { additionalProperties: false })),
  services: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,62}$' }), ServiceState, { description: 'Each backing service, by its repro.yaml name.' }),
  apps: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,62}$' }), RuntimeState, { description: 'Each app\'s runtime, by its repro.yaml name.' })),
  flags: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]), {
    description: 'Feature flag values.',
  })),
}, {
  additionalProperties: false,
  $id: 'https://reprokit.dev/schema/repro-state.schema.json',
  title: 'Repro published state (repro-state.json)',
});

export type StateDocument = Static<typeof StateDocumentSchema>;
export type ServiceState = Static<typeof ServiceState>;
export type RuntimeState = Static<typeof RuntimeState>;

export class StateDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateDocumentError';
  }
}

/** Where a commit sits in documents of the older, commit-only form. */
const COMMIT_PATHS = [['commit'], ['sha'], ['revision'], ['git_commit'], ['gitCommit'], ['git', 'commit'], ['git', 'sha'], ['deployment', 'commit'], ['source', 'commit'], ['version', 'commit']];

/** The commit a commit-only document names, under one of its usual keys. */
export function commitOf(json: unknown): string | undefined {
  for (const p of COMMIT_PATHS) {
    let v: unknown = json;
    for (const k of p) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
    if (typeof v === 'string' && /^[0-9a-fA-F]{7,40}$/.test(v)) return v.toLowerCase();
  }
  return undefined;
}

export interface ParsedState {
  doc: StateDocument;
  /** The document had the older form that names only a commit: nothing else is known. */
  commitOnly: boolean;
}

/**
 * Text -> a checked state document. `from` says where it came from, for the messages. Accepts
 * version 1 and the older commit-only form; refuses HTML, a newer version, values of env vars.
 */
export function parseStateDocument(text: string, from: string): ParsedState {
  const head = text.trimStart().slice(0, 200).toLowerCase();
  if (head.startsWith('<')) {
    throw new StateDocumentError(`${from} returned HTML (${head.startsWith('<!doctype') || head.startsWith('<html') ? 'a web page' : 'markup'}), not a state document. ` +
      'Point the state at the JSON that `repro state` writes (for example /.well-known/repro-state.json), not at a login or error page.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new StateDocumentError(`${from} is not JSON (${(e as Error).message}).`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new StateDocumentError(`${from} is not a JSON object.`);
  const o = json as Record<string, unknown>;
  // No numeric "version": the older form, where "version" (if any) is the app's own ("1.4.0").
  if (typeof o.version !== 'number') {
    const commit = commitOf(json);
    if (!commit) throw new StateDocumentError(`${from} names no commit and no "version": expected a state document ("version": ${STATE_VERSION}) or a 7 to 40 hex digit sha under "commit" (or git.commit, revision, sha).`);
    return { doc: { version: STATE_VERSION, commit, services: {} }, commitOnly: true };
  }
  if (typeof o.version === 'number' && o.version > STATE_VERSION) {
    throw new StateDocumentError(`${from} is a state document of version ${o.version}; this Repro reads version ${STATE_VERSION}. Update Repro, or have the pipeline write version ${STATE_VERSION}.`);
  }
  for (const [name, app] of Object.entries(isObject(o.apps) ? o.apps : {})) {
    for (const key of ['env', 'secrets']) {
      const v = isObject(app) ? app[key] : undefined;
      if (isObject(v)) throw new StateDocumentError(`${from}: apps.${name}.${key} holds values; a state document lists names only (an array of strings). Fix the pipeline that writes it, and rotate what it published.`);
    }
  }
  const first = Value.Errors(StateDocumentSchema, json).First();
  if (first) {
    const where = first.path ? first.path.slice(1).replace(/\//g, '.') : 'the document';
    throw new StateDocumentError(`${from}: ${where}: ${first.message}${first.value !== undefined && typeof first.value !== 'object' ? ` (found ${JSON.stringify(first.value)})` : ''}. See media/repro-state.schema.json.`);
  }
  const doc = json as StateDocument;
  return { doc: { ...doc, commit: doc.commit.toLowerCase() }, commitOnly: false };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
