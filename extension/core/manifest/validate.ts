// Semantic checks the schema cannot express: known service types and runtimes, parseable
// versions, unique names across apps and services, relationships that point somewhere, no
// cycles, and data sources that fit their service.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closest, type Diagnostic } from './diagnostics';
import { runtimeKind, runtimeNames, serviceKind, serviceTypeNames, serviceTypesWithDataDir } from './catalogue';
import { findCycles, relationshipGraph, targetName } from './graph';
import type { Manifest } from './schema';
import { parseVersion, splitTypeVersion } from './versions';
import { positionOf, type ParsedYaml } from './yamlDocument';

export function checkSemantics(parsed: ParsedYaml, m: Manifest): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (segs: (string | number)[], code: string, message: string, hint?: string, key = false): void => {
    out.push({ severity: 'error', code, file: parsed.file, path: segs.join('.'), ...positionOf(parsed, segs, key), message, ...(hint ? { hint } : {}) });
  };
  const apps = m.apps ?? {};
  const services = m.services ?? {};

  for (const name of Object.keys(apps)) {
    if (name in services) {
      err(['services', name], 'duplicate-name', `"${name}" is both an app and a service`, 'Apps and services share one namespace (each becomes a host name): rename one of them.', true);
    }
  }

  for (const [name, s] of Object.entries(services)) {
    const { type, version } = splitTypeVersion(s.type);
    const at = ['services', name, 'type'];
    if (!s.image && !serviceKind(type)) {
      const guess = closest(type, serviceTypeNames());
      err(at, 'unknown-service-type', `unknown service type "${type}" for service "${name}"`,
        `${guess ? `Did you mean "${guess}"? ` : ''}Known types: ${serviceTypeNames(false).join(', ')}. For anything else, set "image:" explicitly.`);
    }
    if (!parseVersion(version)) {
      err(at, 'bad-version', `the version "${version}" of service "${name}" does not parse`,
        `Write an exact version such as "${type}:15.4" (major[.minor[.patch]][-suffix]); "latest" and ranges are not reproducible.`);
    }
    checkData(name, s, err);
  }

  for (const [name, a] of Object.entries(apps)) {
    const { type, version } = splitTypeVersion(a.runtime);
    const at = ['apps', name, 'runtime'];
    if (!a.image && !runtimeKind(type)) {
      const guess = closest(type, runtimeNames());
      err(at, 'unknown-runtime', `unknown runtime "${type}" for app "${name}"`,
        `${guess ? `Did you mean "${guess}"? ` : ''}Known runtimes: ${runtimeNames().join(', ')}. Otherwise set "image:" explicitly.`);
    }
    if (!parseVersion(version)) {
      err(at, 'bad-version', `the version "${version}" of app "${name}"'s runtime does not parse`, `Write an exact version such as "${type}:20.11".`);
    }
    const kind = runtimeKind(type);
    if (a.debug && a.port && a.debug.port === a.port) {
      const usual = kind?.debug.protocol ? `${kind.type}'s usual one is ${kind.debug.port}` : 'Node 9229, Python 5678, Go 2345, Java 5005';
      err(['apps', name, 'debug', 'port'], 'port-clash', `app "${name}" uses port ${a.port} for both serving and debugging`, `Give the debugger its own port (${usual}).`);
    }
    const declared = a.debug?.protocol;
    if (declared && kind?.debug.protocol && declared !== kind.debug.protocol) {
      // Repro starts the runtime's own debugger only: with another protocol, nothing listens unless run starts it.
      const segs = ['apps', name, 'debug', 'protocol'];
      out.push({
        severity: 'warning', code: 'debug-protocol', file: parsed.file, path: segs.join('.'), ...positionOf(parsed, segs),
        message: `app "${name}" runs ${kind.type}, whose debugger Repro starts is ${kind.debug.protocol}; with debug.protocol ${declared}, Repro starts none and attaches with ${declared}`,
        hint: `Remove debug.protocol (${kind.type}: ${kind.debug.protocol}), or start a ${declared} debugger on port ${a.debug!.port} in the app's run command.`,
      });
    }
  }

  const nodes = { ...services, ...apps };
  for (const [section, entries] of [['apps', apps], ['services', services]] as const) {
    for (const [name, n] of Object.entries(entries)) {
      for (const [rel, ref] of Object.entries<string>(n.relationships ?? {})) {
        const target = targetName(ref);
        if (!(target in nodes)) {
          const guess = closest(target, Object.keys(nodes));
          err([section, name, 'relationships', rel], 'unknown-relationship', `relationship "${rel}" of "${name}" points at "${target}", which is not defined`,
            guess ? `Did you mean "${guess}"?` : `Define a service named "${target}" under services:, or fix the name.`);
        } else if (target === name) {
          err([section, name, 'relationships', rel], 'relationship-cycle', `"${name}" has a relationship to itself`, 'Remove the relationship.');
        }
      }
    }
  }
  for (const cycle of findCycles(relationshipGraph(nodes))) {
    if (cycle.length <= 2) continue; // self-reference, reported above
    const first = cycle[0]!;
    const section = first in apps ? 'apps' : 'services';
    err([section, first, 'relationships'], 'relationship-cycle', `relationships form a cycle: ${cycle.join(' -> ')}`,
      'A reproduction starts services in dependency order; break the cycle by removing one of these relationships.');
  }
  return out;
}

type Err = (segs: (string | number)[], code: string, message: string, hint?: string, key?: boolean) => void;

function checkData(name: string, s: NonNullable<Manifest['services']>[string], err: Err): void {
  const known = serviceKind(splitTypeVersion(s.type).type);
  const kind = known?.type;
  if (!s.data) return;
  const src = s.data.source;
  const at = ['services', name, 'data', 'source'];
  if ('files' in src && !known?.dataDir) {
    // Otherwise the clone would fail only once the session runs.
    err(at, 'data-source-mismatch', `service "${name}" (${s.type}) has no data folder Repro knows, so files cannot be copied into it`,
      `"files" fills the data folder of these service types: ${serviceTypesWithDataDir().join(', ')}.`);
  }
  if (!kind) return; // an unknown type is reported on its own
  if (('dump' in src || 'live' in src) && kind !== 'postgresql') {
    err(at, 'data-source-mismatch', `service "${name}" (${s.type}) cannot take a PostgreSQL ${'dump' in src ? 'dump' : 'live database'} as its data source`, 'Use "dump" or "live" only on postgresql services.');
  }
  if ('rdb' in src && kind !== 'redis' && kind !== 'valkey') {
    err(at, 'data-source-mismatch', `service "${name}" (${s.type}) cannot take a Redis RDB file as its data source`, 'Use "rdb" only on redis or valkey services.');
  }
  if (s.data.tables && !('dump' in src || 'live' in src)) {
    err(['services', name, 'data', 'tables'], 'data-source-mismatch', `service "${name}" has table rules, but its data source has no tables`, 'Table rules apply to PostgreSQL dumps and live databases.');
  }
}

/**
 * The data files a manifest on disk names (dump, rdb, files), looked for in the manifest's
 * folder (`root`), as a clone reads them: a path leading outside it, or a file that is not
 * there, is a warning (the file may be fetched before a clone; the clone itself refuses both),
 * at the path's line.
 */
export function checkDataFiles(parsed: ParsedYaml, m: Manifest, root: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [name, s] of Object.entries(m.services ?? {})) {
    const src = s.data?.source as Record<string, unknown> | undefined;
    if (!src) continue;
    for (const key of ['dump', 'rdb', 'files'] as const) {
      const rel = src[key];
      if (typeof rel !== 'string') continue;
      const segs = ['services', name, 'data', 'source', key];
      const warn = (message: string, hint: string) => out.push({ severity: 'warning', code: 'data-file', file: parsed.file, path: segs.join('.'), ...positionOf(parsed, segs), message, hint });
      const full = path.resolve(root, rel);
      if (path.isAbsolute(rel) || (full !== root && !full.startsWith(root + path.sep))) {
        warn(`the ${key} path "${rel}" of service "${name}" leads outside the project's folder (${root})`, 'Data files are read from the folder of repro.yaml: give a path relative to it, inside it.');
      } else if (!fs.existsSync(full)) {
        warn(`the ${key} file "${rel}" of service "${name}" is not in the project's folder (${root})`, 'Add it, or fix the path (relative to the folder of repro.yaml): a data clone of this service stops until it is there.');
      }
    }
  }
  return out;
}
