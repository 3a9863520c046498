// What Repro knows about each service type and runtime: the official image, the port it
// serves, how to tell it is healthy, the environment it needs to start, and the connection
// variables an app that relates to it receives. A service can override the image.

export interface ServiceKind {
  /** Canonical type name as written in repro.yaml. */
  type: string;
  /** Other names the same engine goes by (Upsun's "redis-persistent", "oracle-mysql", ...). */
  aliases?: string[];
  /** Image reference for a version: "postgres:15.4". */
  image: (version: string) => string;
  port: number;
  /** URL scheme used in the relationship's connection URL. */
  scheme: string;
  /** Health check run inside the container (exec form). */
  health: string[];
  /** Environment the container needs to start with a known user and database. */
  env: Record<string, string>;
  /** Credentials the relationship exposes to apps, matching `env`. */
  credentials?: { username?: string; password?: string; path?: string };
  /** Where the engine keeps its data (a volume is mounted here). */
  dataDir?: string;
}

const PG_ENV = { POSTGRES_USER: 'main', POSTGRES_PASSWORD: 'main', POSTGRES_DB: 'main' };
const MYSQL_ENV = { MYSQL_USER: 'user', MYSQL_PASSWORD: 'user', MYSQL_DATABASE: 'main', MYSQL_ROOT_PASSWORD: 'root' };
const MARIADB_ENV = { MARIADB_USER: 'user', MARIADB_PASSWORD: 'user', MARIADB_DATABASE: 'main', MARIADB_ROOT_PASSWORD: 'root' };

const KINDS: ServiceKind[] = [
  {
    type: 'postgresql', aliases: ['postgres', 'pgsql'], image: (v) => `postgres:${v}`, port: 5432, scheme: 'postgresql',
    health: ['pg_isready', '-h', '127.0.0.1', '-U', 'main', '-d', 'main'], env: PG_ENV,
    credentials: { username: 'main', password: 'main', path: 'main' }, dataDir: '/var/lib/postgresql/data',
  },
  {
    type: 'mysql', aliases: ['oracle-mysql'], image: (v) => `mysql:${v}`, port: 3306, scheme: 'mysql',
    health: ['mysqladmin', 'ping', '-h', '127.0.0.1', '-uroot', '-proot'], env: MYSQL_ENV,
    credentials: { username: 'user', password: 'user', path: 'main' }, dataDir: '/var/lib/mysql',
  },
  {
    type: 'mariadb', image: (v) => `mariadb:${v}`, port: 3306, scheme: 'mysql',
    health: ['healthcheck.sh', '--connect', '--innodb_initialized'], env: MARIADB_ENV,
    credentials: { username: 'user', password: 'user', path: 'main' }, dataDir: '/var/lib/mysql',
  },
  {
    type: 'redis', aliases: ['redis-persistent'], image: (v) => `redis:${v}`, port: 6379, scheme: 'redis',
    health: ['redis-cli', 'ping'], env: {}, dataDir: '/data',
  },
  {
    type: 'valkey', aliases: ['valkey-persistent'], image: (v) => `valkey/valkey:${v}`, port: 6379, scheme: 'redis',
    health: ['valkey-cli', 'ping'], env: {}, dataDir: '/data',
  },
  {
    type: 'mongodb', aliases: ['mongo', 'mongodb-enterprise'], image: (v) => `mongo:${v}`, port: 27017, scheme: 'mongodb',
    health: ['mongosh', '--quiet', '--eval', 'db.adminCommand("ping").ok'], env: {}, dataDir: '/data/db',
  },
  {
    // The management plugin's image (its UI is how people look at queues), whichever way the
    // version is written: "3.13", "3.13-alpine" or already "3.13-management".
    type: 'rabbitmq', image: (v) => `rabbitmq:${/(^|-)management(-|$)/.test(v) ? v : v.replace(/(-alpine)?$/, '-management$1')}`, port: 5672, scheme: 'amqp',
    health: ['rabbitmq-diagnostics', '-q', 'ping'], env: { RABBITMQ_DEFAULT_USER: 'guest', RABBITMQ_DEFAULT_PASS: 'guest' },
    credentials: { username: 'guest', password: 'guest' }, dataDir: '/var/lib/rabbitmq',
  },
  {
    type: 'kafka', image: (v) => `apache/kafka:${v}`, port: 9092, scheme: 'kafka',
    health: ['/opt/kafka/bin/kafka-broker-api-versions.sh', '--bootstrap-server', '127.0.0.1:9092'], env: {},
  },
  {
    type: 'elasticsearch', aliases: ['elasticsearch-enterprise'], image: (v) => `docker.elastic.co/elasticsearch/elasticsearch:${v}`, port: 9200, scheme: 'http',
    health: ['curl', '-fs', 'http://127.0.0.1:9200/_cluster/health'], env: { 'discovery.type': 'single-node', 'xpack.security.enabled': 'false' },
    dataDir: '/usr/share/elasticsearch/data',
  },
  {
    type: 'opensearch', image: (v) => `opensearchproject/opensearch:${v}`, port: 9200, scheme: 'http',
    health: ['curl', '-fs', 'http://127.0.0.1:9200/_cluster/health'], env: { 'discovery.type': 'single-node', DISABLE_SECURITY_PLUGIN: 'true' },
    dataDir: '/usr/share/opensearch/data',
  },
  {
    type: 'memcached', image: (v) => `memcached:${v}`, port: 11211, scheme: 'memcached',
    health: ['sh', '-c', 'echo stats | nc -w 1 127.0.0.1 11211 | grep -q uptime'], env: {},
  },
  {
    type: 'solr', image: (v) => `solr:${v}`, port: 8983, scheme: 'solr',
    health: ['curl', '-fs', 'http://127.0.0.1:8983/solr/admin/info/system'], env: {}, dataDir: '/var/solr',
  },
];

const BY_NAME = new Map<string, ServiceKind>();
for (const k of KINDS) {
  BY_NAME.set(k.type, k);
  for (const a of k.aliases ?? []) BY_NAME.set(a, k);
}

export function serviceKind(type: string): ServiceKind | undefined {
  return BY_NAME.get(type);
}

/** The service types whose data folder Repro knows (a `files` source fills it), sorted. */
export const serviceTypesWithDataDir = (): string[] => KINDS.filter((k) => k.dataDir).map((k) => k.type).sort();

/** Every name a service type is known by (or only the canonical ones), sorted. */
export const serviceTypeNames = (withAliases = true): string[] => (withAliases ? [...BY_NAME.keys()] : KINDS.map((k) => k.type)).sort();

export interface RuntimeKind {
  type: string;
  aliases?: string[];
  image: (version: string) => string;
  /**
   * The port its debugger listens on by default, and the protocol, where Repro attaches to it
   * (none: Xdebug, rdbg, Bun's WebKit inspector... speak protocols Repro does not attach to).
   */
  debug: { protocol?: 'inspector' | 'debugpy' | 'delve' | 'jdwp'; port: number };
  /** A readiness check that the app listens on `port`, with what the runtime image has. */
  portCheck?: (port: number) => string[];
}

/** A port as /proc/net/tcp writes it in a local address: four upper-case hex digits. */
export const procNetPort = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');

/** Works in any image with a POSIX shell and nc, bash, or grep (and /proc). */
export const shellPortCheck = (port: number): string[] => {
  // Last, the kernel's table of sockets: a socket listening on the port (state 0A). Images
  // whose sh is dash and that have no nc (Debian's, the official golang image) have only that.
  const hex = procNetPort(port);
  return ['sh', '-c', `nc -z 127.0.0.1 ${port} 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null || ` +
    `grep -qsE ':${hex} [0-9A-F]+:[0-9A-F]+ 0A ' /proc/net/tcp /proc/net/tcp6`];
};

const RUNTIMES: RuntimeKind[] = [
  {
    type: 'nodejs', aliases: ['node'], image: (v) => `node:${v}`, debug: { protocol: 'inspector', port: 9229 },
    // NODE_OPTIONS carries --inspect for the app; the check must not open a second inspector.
    portCheck: (p) => ['sh', '-c', `NODE_OPTIONS= node -e "require('net').connect(${p},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"`],
  },
  {
    type: 'python', image: (v) => `python:${v}`, debug: { protocol: 'debugpy', port: 5678 },
    portCheck: (p) => ['python', '-c', `import socket; socket.create_connection(('127.0.0.1', ${p}), 1)`],
  },
  { type: 'golang', aliases: ['go'], image: (v) => `golang:${v}`, debug: { protocol: 'delve', port: 2345 } },
  { type: 'java', image: (v) => `eclipse-temurin:${v}`, debug: { protocol: 'jdwp', port: 5005 } },
  // Xdebug (DBGp), rdbg and Bun's WebKit inspector are not the V8 inspector: no protocol.
  { type: 'php', image: (v) => `php:${v}-cli`, debug: { port: 9003 } },
  { type: 'ruby', image: (v) => `ruby:${v}`, debug: { port: 1234 } },
  { type: 'elixir', image: (v) => `elixir:${v}`, debug: { port: 0 } },
  { type: 'bun', image: (v) => `oven/bun:${v}`, debug: { port: 6499 } },
  { type: 'deno', image: (v) => `denoland/deno:${v}`, debug: { protocol: 'inspector', port: 9229 } },
  { type: 'dotnet', image: (v) => `mcr.microsoft.com/dotnet/sdk:${v}`, debug: { port: 0 } },
];

const RUNTIME_BY_NAME = new Map<string, RuntimeKind>();
for (const r of RUNTIMES) {
  RUNTIME_BY_NAME.set(r.type, r);
  for (const a of r.aliases ?? []) RUNTIME_BY_NAME.set(a, r);
}

export function runtimeKind(type: string): RuntimeKind | undefined {
  return RUNTIME_BY_NAME.get(type);
}

export const runtimeNames = (): string[] => [...RUNTIME_BY_NAME.keys()];
