// Versions as written in manifests: "15", "15.4", "7.2.4", "3.13-management" style suffixes.
// Parsed strictly so that "latest", "15.x" or "fifteen" get a clear error instead of a surprise
// image at run time.

export interface Version {
  major: number;
  minor?: number;
  patch?: number;
  /** Anything after a "-", kept verbatim (e.g. "alpine"). */
  suffix?: string;
  raw: string;
}

const VERSION = /^(\d{1,6})(?:\.(\d{1,6}))?(?:\.(\d{1,6}))?(?:-([A-Za-z0-9][A-Za-z0-9._-]*))?$/;

export function parseVersion(raw: string): Version | undefined {
  const m = VERSION.exec(raw);
  if (!m) return undefined;
  const v: Version = { major: Number(m[1]), raw };
  if (m[2] !== undefined) v.minor = Number(m[2]);
  if (m[3] !== undefined) v.patch = Number(m[3]);
  if (m[4] !== undefined) v.suffix = m[4];
  return v;
}

/** Splits "postgresql:15.4" into its type and version parts (version unparsed). */
export function splitTypeVersion(s: string): { type: string; version: string } {
  const i = s.indexOf(':');
  return i < 0 ? { type: s, version: '' } : { type: s.slice(0, i), version: s.slice(i + 1) };
}

export type VersionGap = 'same' | 'patch' | 'minor' | 'major';

/** How far apart two versions are; components missing on either side are not compared. */
export function versionGap(a: Version, b: Version): VersionGap {
  if (a.major !== b.major) return 'major';
  if (a.minor !== undefined && b.minor !== undefined && a.minor !== b.minor) return 'minor';
  if (a.patch !== undefined && b.patch !== undefined && a.patch !== b.patch) return 'patch';
  return 'same';
}

/**
 * Types whose releases are numbered MAJOR.MINOR where the second number is a bug-fix release
 * (PostgreSQL since 10: 15.4 and 15.10 are the same major with fixes apart), so a gap in it is
 * what other projects call a patch.
 */
const TWO_PART_FROM: Record<string, number> = { postgresql: 10, postgres: 10 };

/** versionGap, read with the numbering scheme of the service or runtime type when it has one. */
export function releaseGap(type: string | undefined, a: Version, b: Version): VersionGap {
  const gap = versionGap(a, b);
  const from = type === undefined ? undefined : TWO_PART_FROM[type];
  return gap === 'minor' && from !== undefined && a.major >= from ? 'patch' : gap;
}
