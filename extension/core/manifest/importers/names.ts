// Turning the names and image references other tools use into repro.yaml's: host-name-safe
// names, and "postgres:14-alpine" into the catalogue's "postgresql:14" with the exact image kept.
import { runtimeKind, serviceKind } from '../catalogue';
import { parseVersion } from '../versions';

const NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** A repro.yaml name (it becomes a host name) for a name from another format. */
export function safeName(raw: string): string {
  if (NAME.test(raw)) return raw;
  const s = raw.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 63).replace(/-+$/, '');
  return s || 'x';
}

/** A relationship name: letters, digits, "_" and "-", not starting with a digit. */
export function safeRelationName(raw: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(raw) ? raw : `_${raw.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
}

export interface ImageRef {
  /** Repository without registry or "library/": "postgres", "valkey/valkey". */
  repo: string;
  tag?: string;
  digest?: string;
  /** As written, registry included. */
  raw: string;
}

export function parseImageRef(raw: string): ImageRef | undefined {
  const text = raw.trim();
  const [name, digest, extra] = text.split('@');
  if (!name || extra !== undefined || (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest))) return undefined;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > slash ? name.slice(colon + 1) : undefined;
  const path = colon > slash ? name.slice(0, colon) : name;
  if (tag !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return undefined;
  const parts = path.split('/');
  // The first part is a registry when it looks like a host ("ghcr.io", "localhost:5000").
  if (parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost')) parts.shift();
  const repo = parts.join('/').replace(/^library\//, '');
  if (!/^[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*$/.test(repo)) return undefined;
  return { repo, raw: text, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

// Official image repositories and the catalogue type each one is.
const SERVICE_REPOS: Record<string, string> = {
  postgres: 'postgresql', 'postgis/postgis': 'postgresql', mysql: 'mysql', mariadb: 'mariadb', redis: 'redis',
  'valkey/valkey': 'valkey', mongo: 'mongodb', rabbitmq: 'rabbitmq', 'apache/kafka': 'kafka', 'bitnami/kafka': 'kafka',
  elasticsearch: 'elasticsearch', 'elasticsearch/elasticsearch': 'elasticsearch',
  'opensearchproject/opensearch': 'opensearch', memcached: 'memcached', solr: 'solr',
};

const RUNTIME_REPOS: Record<string, string> = {
  node: 'nodejs', python: 'python', golang: 'golang', php: 'php', ruby: 'ruby', 'eclipse-temurin': 'java', openjdk: 'java',
  amazoncorretto: 'java', elixir: 'elixir', 'oven/bun': 'bun', 'denoland/deno': 'deno', 'dotnet/sdk': 'dotnet',
  // Dev container base images: mcr.microsoft.com/devcontainers/javascript-node:1-20-bookworm.
  'devcontainers/javascript-node': 'nodejs', 'devcontainers/typescript-node': 'nodejs', 'devcontainers/python': 'python',
  'devcontainers/go': 'golang', 'devcontainers/php': 'php', 'devcontainers/ruby': 'ruby', 'devcontainers/java': 'java',
};

/** The version an image tag pins: "14-alpine" -> "14", "1-20-bookworm" (dev containers) -> "20"; undefined for "latest". */
export function tagVersion(tag: string | undefined, devcontainer = false): string | undefined {
  if (!tag) return undefined;
  const t = devcontainer ? tag.replace(/^\d+-(?=\d)/, '') : tag;
  const m = /^v?(\d+(?:\.\d+){0,2})(?:[-_].*)?$/.exec(t);
  return m && parseVersion(m[1]!) ? m[1] : undefined;
}

export interface ImageMatch {
  type: string;
  version?: string;
  /** The image to keep explicitly, when the catalogue's image for that version would differ. */
  image?: string;
}

export function serviceFromImage(ref: ImageRef): ImageMatch | undefined {
  const type = SERVICE_REPOS[ref.repo];
  if (!type) return undefined;
  const version = tagVersion(ref.tag);
  if (!version) return { type };
  const kind = serviceKind(type)!;
  const exact = ref.raw.replace(/^(docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '');
  return { type, version, ...(kind.image(version) === exact ? {} : { image: exact }) };
}

export function runtimeFromImage(ref: ImageRef): ImageMatch | undefined {
  const key = ref.repo.replace(/^mcr\.microsoft\.com\//, '');
  const type = RUNTIME_REPOS[key];
  if (!type) return undefined;
  const dev = key.startsWith('devcontainers/');
  const version = tagVersion(ref.tag, dev);
  if (!version) return { type };
  const kind = runtimeKind(type)!;
  // A dev container image carries editor tooling; the app runs in the plain runtime image.
  return dev || kind.image(version) === ref.raw ? { type, version } : { type, version, image: ref.raw };
}
