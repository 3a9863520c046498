// The repro.yaml schema, version 1. One definition serves three purposes: the TypeScript types
// (Static<>), the JSON Schema shipped in media/ for editor completion (scripts/write-schema.ts),
// and structural validation in the loader. Semantic checks (catalogue, versions, references,
// cycles) live in validate.ts because a JSON Schema cannot express them.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Name = Type.String({
  pattern: '^[a-z][a-z0-9_-]{0,62}$',
  description: 'Lower-case letters, digits, "-" and "_", starting with a letter (it becomes a host name).',
});

const Env = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
  description: 'Environment variables. Values are literal; secrets belong in the user\'s environment, not here.',
});

const Relationships = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_-]*$' }), Type.String({
  pattern: '^[a-z][a-z0-9_-]*(:[a-z][a-z0-9_-]*)?$',
  description: 'The service (or app) this relationship points at, optionally with an endpoint: "db" or "db:postgresql".',
}), {
  description: 'Relationship name -> service. Each becomes a host name and connection environment variables in the app.',
});

const Resources = Type.Object({
  memory: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?\\s*([kKmMgG][iI]?[bB]?)?$', description: 'Memory limit, e.g. "512M" or "2G".' })),
  cpus: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 256, description: 'CPU limit, e.g. 0.5 or 2.' })),
}, { additionalProperties: false });

const Debug = Type.Object({
  port: Type.Integer({ minimum: 1, maximum: 65535, description: 'The port the debugger listens on inside the container (Node 9229, Python 5678, Go 2345, Java 5005).' }),
  protocol: Type.Optional(Type.Union([Type.Literal('inspector'), Type.Literal('debugpy'), Type.Literal('delve'), Type.Literal('jdwp')], {
    description: 'Debug protocol; inferred from the runtime when omitted.',
  })),
  remoteRoot: Type.Optional(Type.String({ description: 'Where the source is mounted in the container (default /app).' })),
}, { additionalProperties: false });

export const AppSchema = Type.Object({
  runtime: Type.String({
    pattern: '^[a-z][a-z0-9-]*:[^\\s]+$',
    description: 'Runtime and exact version, e.g. "nodejs:20.11" or "python:3.12".',
  }),
  image: Type.Optional(Type.String({ description: 'Container image to run the app in; defaults to the runtime\'s official image.' })),
  root: Type.Optional(Type.String({ description: 'The app\'s folder, relative to the repository root (default ".").' })),
  build: Type.Optional(Type.String({ description: 'Command that prepares the app (e.g. "npm ci"), run before "run".' })),
  run: Type.String({ description: 'Command that starts the app (e.g. "node server.js").' }),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'The port the app listens on inside the container.' })),
  debug: Type.Optional(Debug),
  env: Type.Optional(Env),
  relationships: Type.Optional(Relationships),
  resources: Type.Optional(Resources),
}, { additionalProperties: false });

const ScrubStrategy = Type.String({
  pattern: '^(keep|null|redact|hash|mask|fake:(email|name|first_name|last_name|phone|address|ip|city|company|text|uuid|date))$',
  description: 'keep | null | redact | hash | mask | fake:<email|name|first_name|last_name|phone|address|ip|city|company|text|uuid|date>',
});

const TableRule = Type.Object({
  columns: Type.Optional(Type.Record(Type.String(), ScrubStrategy, { description: 'Column -> strategy.' })),
  where: Type.Optional(Type.String({ description: 'Keep only rows matching this SQL condition (rows referenced by kept rows are kept too).' })),
  truncate: Type.Optional(Type.Boolean({ description: 'Clone the table empty.' })),
}, { additionalProperties: false });

const DataSource = Type.Union([
  Type.Object({
    dump: Type.String({ description: 'A pg_dump file (plain SQL, gzip or custom format), relative to the folder of repro.yaml.' }),
  }, { additionalProperties: false }),
  Type.Object({
    live: Type.Object({
      env: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Name of the environment variable (or VS Code secret) holding the read-only connection string. Never the value itself.' }),
    }, { additionalProperties: false }),
  }, { additionalProperties: false }),
  Type.Object({
    rdb: Type.String({ description: 'A Redis RDB file, relative to the folder of repro.yaml.' }),
  }, { additionalProperties: false }),
  Type.Object({
    files: Type.String({ description: 'A folder or tarball, relative to the folder of repro.yaml, to copy into the service\'s data folder (services whose data folder Repro knows).' }),
  }, { additionalProperties: false }),
]);

const Data = Type.Object({
  source: DataSource,
  tables: Type.Optional(Type.Record(Type.String(), TableRule, { description: 'Scrubbing and subsetting rules per table ("users" or "schema.users").' })),
  acknowledge: Type.Optional(Type.Array(Type.String(), { description: 'Columns ("table.column") that look personal but are known to be safe to keep.' })),
}, { additionalProperties: false });

export const ServiceSchema = Type.Object({
  type: Type.String({
    pattern: '^[a-z][a-z0-9-]*:[^\\s]+$',
    description: 'Service type and exact version, e.g. "postgresql:15.4" or "redis:7.2".',
  }),
  image: Type.Optional(Type.String({ description: 'Override the catalogue\'s image (e.g. "postgis/postgis:15-3.4").' })),
  env: Type.Optional(Env),
  relationships: Type.Optional(Relationships),
  resources: Type.Optional(Resources),
  data: Type.Optional(Data),
}, { additionalProperties: false });

const StateLocation = Type.Union([
  Type.Object({ url: Type.String({ pattern: '^https?://', description: 'An https URL that serves the environment\'s published state.' }) }, { additionalProperties: false }),
  Type.Object({ file: Type.String({ description: 'A file holding the published state, relative to the repository root.' }) }, { additionalProperties: false }),
  Type.Object({ command: Type.String({ description: 'A command that prints the published state as JSON.' }) }, { additionalProperties: false }),
]);

const Environment = Type.Object({
  state: Type.Optional(StateLocation),
  url: Type.Optional(Type.String({ description: 'Where the environment is served, for reference.' })),
}, { additionalProperties: false });

export const ManifestSchema = Type.Object({
  version: Type.Literal(1, { description: 'The manifest format version. Always 1.' }),
  project: Type.Object({
    name: Name,
    repository: Type.Optional(Type.String({ description: 'The git remote URL of the project: filled into the copied link templates as repo=. A link that carries repo= is refused by a clone that is not of that repository.' })),
  }, { additionalProperties: false }),
  apps: Type.Optional(Type.Record(Name, AppSchema, { description: 'The project\'s own applications.' })),
  services: Type.Optional(Type.Record(Name, ServiceSchema, { description: 'Backing services: databases, caches, queues, search.' })),
  environments: Type.Optional(Type.Record(Name, Environment, { description: 'Environments such as production, and where each publishes its state.' })),
  scrub: Type.Optional(Type.Object({
    key: Type.Optional(Type.Object({ env: Type.String() }, { additionalProperties: false, description: 'Where the per-project scrubbing key is read from.' })),
  }, { additionalProperties: false })),
}, {
  additionalProperties: false,
  $id: 'https://reprokit.dev/schema/repro.schema.json',
  title: 'Repro manifest (repro.yaml)',
});

export type Manifest = Static<typeof ManifestSchema>;
export type App = Static<typeof AppSchema>;
export type Service = Static<typeof ServiceSchema>;
export type DataSpec = NonNullable<Service['data']>;
export type Environment = Static<typeof Environment>;

/** The keys that each object accepts, for "did you mean" hints on unknown keys. */
export function knownKeys(schema: TSchema): string[] {
  return schema.type === 'object' && schema.properties ? Object.keys(schema.properties) : [];
}
