// Structural validation against the schema, with TypeBox's raw errors turned into messages a
// person can act on: the key that is unknown and the one that was probably meant, the type that
// was expected and the one found, the forms a value may take.
import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { closest, type Diagnostic } from './diagnostics';
import { ManifestSchema } from './schema';
import { positionOf, type ParsedYaml } from './yamlDocument';

export function checkStructure(parsed: ParsedYaml, data: unknown): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(ManifestSchema, data)) {
    const d = toDiagnostic(parsed, e);
    if (!d) continue;
    // A union reports one error per branch; a bad key reports type and pattern errors. One is enough.
    const k = `${d.path}|${d.code}`;
    if (seen.has(k) || [...seen].some((s) => d.path.startsWith(s.split('|')[0]! + '.') && s.endsWith('|one-of'))) continue;
    seen.add(k);
    out.push(d);
  }
  return out;
}

function toDiagnostic(parsed: ParsedYaml, e: ValueError): Diagnostic | undefined {
  const segs = e.path.split('/').slice(1).map(unescapePointer);
  const path = segs.join('.');
  const base = { severity: 'error' as const, file: parsed.file, path };
  const pos = (key = false) => positionOf(parsed, segs, key);
  const label = path || 'the manifest';
  // A missing key also fails its type check; the "missing-key" error already says it.
  if (e.value === undefined && e.type !== ValueErrorType.ObjectRequiredProperty) return undefined;

  switch (e.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      // TypeBox reports the unknown key's own path; the allowed keys are the parent's.
      const k = segs[segs.length - 1] ?? '?';
      const parent = segs.slice(0, -1);
      const allowed = propertiesOf(schemaAt(parent));
      const guess = closest(k, allowed);
      return {
        ...base, code: 'unknown-key', ...pos(true),
        message: `unknown key "${k}" in ${parent.join('.') || 'the manifest'}`,
        hint: guess ? `Did you mean "${guess}"? Allowed keys: ${allowed.join(', ')}.` : `Allowed keys: ${allowed.join(', ')}.`,
      };
    }
    case ValueErrorType.ObjectRequiredProperty: {
      const key = segs[segs.length - 1] ?? '';
      const parent = segs.slice(0, -1);
      return {
        ...base, code: 'missing-key', ...positionOf(parsed, parent),
        message: `${parent.join('.') || 'the manifest'} is missing the required key "${key}"`,
        hint: requiredHint(path),
      };
    }
    case ValueErrorType.Object:
      return { ...base, code: 'wrong-type', ...pos(), message: `${label} must be a mapping (key: value), found ${describe(e.value)}` };
    case ValueErrorType.Array:
      return { ...base, code: 'wrong-type', ...pos(), message: `${label} must be a list, found ${describe(e.value)}` };
    case ValueErrorType.String:
      return { ...base, code: 'wrong-type', ...pos(), message: `${label} must be a string, found ${describe(e.value)}`, hint: 'Quote the value if it looks like a number or boolean.' };
    case ValueErrorType.Integer:
      return { ...base, code: 'wrong-type', ...pos(), message: `${label} must be a whole number, found ${describe(e.value)}` };
    case ValueErrorType.Number:
      return { ...base, code: 'wrong-type', ...pos(), message: `${label} must be a number, found ${describe(e.value)}` };
    case ValueErrorType.Boolean:
      return { ...base, code: 'wrong-type', ...pos(), message: `${label} must be true or false, found ${describe(e.value)}` };
    case ValueErrorType.Literal:
      return { ...base, code: 'wrong-value', ...pos(), message: `${label} must be ${JSON.stringify((e.schema as unknown as { const: unknown }).const)}, found ${describe(e.value)}` };
    case ValueErrorType.Union:
      return { ...base, code: 'one-of', ...pos(), message: `${label} has an unexpected form (${describe(e.value)})`, hint: unionHint(e.schema) };
    case ValueErrorType.StringPattern:
    {
      const described = String(e.schema.description ?? `Expected to match ${String(e.schema.pattern)}.`);
      const guess = typeof e.value === 'string' ? closest(e.value, alternativesOf(described)) : undefined;
      return { ...base, code: 'bad-format', ...pos(), message: `${label} is not in the expected form: ${JSON.stringify(e.value)}`, hint: `${guess ? `Did you mean "${guess}"? ` : ''}${described}` };
    }
    case ValueErrorType.IntegerMinimum: case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMinimum: case ValueErrorType.NumberMaximum:
    case ValueErrorType.NumberExclusiveMinimum: case ValueErrorType.IntegerExclusiveMinimum:
      return { ...base, code: 'out-of-range', ...pos(), message: `${label} is out of range: ${String(e.value)}`, hint: String(e.schema.description ?? e.message) };
    default:
      return { ...base, code: 'invalid', ...pos(), message: `${label}: ${e.message}` };
  }
}

/** The object schema that describes the value at `segs` (records and unions followed). */
function schemaAt(segs: readonly string[]): TSchema | undefined {
  let schema: TSchema | undefined = ManifestSchema;
  for (const seg of segs) {
    if (!schema) return undefined;
    const branches: TSchema[] = schema.anyOf ? (schema.anyOf as TSchema[]) : [schema];
    const next: TSchema | undefined = branches
      .map((b) => (b.properties as Record<string, TSchema> | undefined)?.[seg]
        ?? Object.values((b.patternProperties ?? {}) as Record<string, TSchema>)[0])
      .find(Boolean);
    schema = next;
  }
  return schema;
}

function propertiesOf(schema: TSchema | undefined): string[] {
  if (!schema) return [];
  if (schema.anyOf) return [...new Set((schema.anyOf as TSchema[]).flatMap(propertiesOf))];
  return schema.properties ? Object.keys(schema.properties as object) : [];
}

function unionHint(schema: TSchema): string {
  const branches = (schema.anyOf ?? []) as TSchema[];
  const forms = branches.map((b) => propertiesOf(b).join('/')).filter(Boolean);
  return forms.length ? `Use exactly one of: ${forms.join(', ')}.` : 'See the manifest reference in the README.';
}

function requiredHint(path: string): string {
  if (path === 'version') return 'Add "version: 1" at the top of repro.yaml.';
  if (path === 'project') return 'Add "project:" with at least "name: <your-project>".';
  if (path.endsWith('.type')) return 'Give the service a type and exact version, e.g. "type: postgresql:15.4".';
  if (path.endsWith('.runtime')) return 'Give the app a runtime and exact version, e.g. "runtime: nodejs:20.11".';
  if (path.endsWith('.run')) return 'Give the app the command that starts it, e.g. "run: node server.js".';
  return 'See the manifest reference in the README.';
}

function describe(v: unknown): string {
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * The words a description such as "keep | null | mask | fake:<email|name>" lists, expanded
 * ("fake:email", "fake:name"); none when it is prose.
 */
function alternativesOf(description: string): string[] {
  if (!/^[\w:.-]+(?:<[\w|.-]+>)?(?: \| [\w:.-]+(?:<[\w|.-]+>)?)+$/.test(description)) return [];
  return description.split(' | ').flatMap((alt) => {
    const m = /^([\w:.-]*)<([\w|.-]+)>$/.exec(alt);
    return m ? m[2]!.split('|').map((x) => `${m[1]}${x}`) : [alt];
  });
}
