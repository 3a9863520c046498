// Facts from documents already in hand: an environment's published state, and a manifest (at
// HEAD or at the environment's commit). Pure: no file, network or engine access.
import { runtimeKind, serviceKind } from '../manifest/catalogue';
import type { Manifest } from '../manifest/schema';
import { splitTypeVersion } from '../manifest/versions';
import { positionOf, type ParsedYaml } from '../manifest/yamlDocument';
import { describeFreshness, type EnvironmentState } from './stateCache';
import type { StateDocument } from './stateDocument';
import { subjectOf, type AttrKind, type Fact, type Facts, type Side } from './model';

export const ALL_KINDS: readonly AttrKind[] = ['type', 'version', 'digest', 'env', 'secret', 'flag'];
const MANIFEST_KINDS: readonly AttrKind[] = ['type', 'version'];

/** The catalogue's own name for a service type or runtime ("postgres" -> "postgresql", "node" -> "nodejs"). */
export const canonicalService = (t: string): string => serviceKind(t)?.type ?? t;
export const canonicalRuntime = (t: string): string => runtimeKind(t)?.type ?? t;

export function factsFromState(doc: Pick<StateDocument, 'services' | 'apps' | 'flags'>): Facts {
  const facts: Facts = {};
  for (const [name, s] of Object.entries(doc.services)) {
    const f: Record<string, Fact> = { type: { value: canonicalService(s.type) }, version: { value: s.version, ...(s.image ? { detail: `image ${s.image}` } : {}) } };
    if (s.digest) f.digest = { value: s.digest, ...(s.image ? { detail: s.image } : {}) };
    facts[subjectOf.service(name)] = f;
  }
  for (const [name, a] of Object.entries(doc.apps ?? {})) {
    const f: Record<string, Fact> = { runtime: { value: canonicalRuntime(a.type) }, version: { value: a.version } };
    if (a.digest) f.digest = { value: a.digest, ...(a.image ? { detail: a.image } : {}) };
    for (const n of a.env ?? []) f[`env ${n}`] = { value: 'set' };
    for (const n of a.secrets ?? []) f[`secret ${n}`] = { value: 'set' };
    facts[subjectOf.app(name)] = f;
  }
  const flags = Object.entries(doc.flags ?? {});
  if (flags.length) facts[subjectOf.flags] = Object.fromEntries(flags.map(([k, v]) => [`flag ${k}`, { value: String(v) }]));
  return facts;
}

export function environmentSide(s: EnvironmentState): Side {
  return {
    id: `env:${s.env}`, kind: 'environment', label: s.env, kinds: ALL_KINDS, facts: factsFromState(s.state.doc),
    note: `${s.state.from}, ${describeFreshness(s)}${s.state.commitOnly ? '; names only a commit' : ''}`,
    // A commit-only document says nothing of services: compare nothing against it.
    ...(s.state.commitOnly ? { unavailable: 'its published state names only a commit (write it with `repro state`)', partial: true } : {}),
  };
}

export function unavailableSide(id: string, kind: Side['kind'], label: string, why: string, kinds: readonly AttrKind[] = ALL_KINDS): Side {
  return { id, kind, label, kinds, facts: {}, unavailable: why };
}

/** Services' and apps' types and versions as a manifest declares them, with their lines when the YAML is given. */
export function factsFromManifest(m: Manifest, parsed?: ParsedYaml): Facts {
  const at = (segs: string[]): Fact['at'] => {
    if (!parsed) return undefined;
    const p = positionOf(parsed, segs);
    return { file: parsed.file, line: p.line, column: p.column };
  };
  const fact = (value: string, segs: string[]): Fact => {
    const a = at(segs);
    return { value, ...(a ? { at: a } : {}) };
  };
  const facts: Facts = {};
  for (const [name, s] of Object.entries(m.services ?? {})) {
    const { type, version } = splitTypeVersion(s.type);
    facts[subjectOf.service(name)] = { type: fact(canonicalService(type), ['services', name, 'type']), version: fact(version, ['services', name, 'type']) };
  }
  for (const [name, a] of Object.entries(m.apps ?? {})) {
    const { type, version } = splitTypeVersion(a.runtime);
    facts[subjectOf.app(name)] = { runtime: fact(canonicalRuntime(type), ['apps', name, 'runtime']), version: fact(version, ['apps', name, 'runtime']) };
  }
  return facts;
}

export function manifestSide(m: Manifest, parsed: ParsedYaml | undefined, id = 'manifest', label = 'repro.yaml', kind: Side['kind'] = 'manifest', note?: string): Side {
  return { id, kind, label, kinds: MANIFEST_KINDS, facts: factsFromManifest(m, parsed), ...(note ? { note } : {}) };
}
