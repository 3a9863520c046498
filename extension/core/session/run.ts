// One reproduction on the real engine and the developer's clone, from a checked incident to a
// written receipt: what both the extension and `repro reproduce` run once the user confirmed.
import type Docker from 'dockerode';
import type { RulesFrom } from '../data/workspaceRules';
import type { Repository } from '../git/repository';
import type { RunningStack } from '../stack/up';
import { engineDeps } from './engineDeps';
import { writeReceipt, type Receipt } from './receipt';
import { reproduce, type IncidentRef, type ReproduceEvent } from './reproduce';
import { sessionDir } from './storage';

export interface RunOptions {
  incident: IncidentRef;
  repo: Repository;
  docker: Docker;
  /** Podman without systemd runs no health checks: Repro runs them itself. */
  selfHealthCheck: boolean;
  home: string;
  session: string;
  remote?: string;
  gatewayImage?: string;
  /** Secret lookup for live data sources (by the variable name repro.yaml gives). */
  secrets?: (name: string) => string | undefined;
  /** The engine network live data sources are reached on. */
  sourceNetwork?: string;
  signal?: AbortSignal;
  onEvent?: (e: ReproduceEvent) => void;
  /** What happens after the run, in the background (the engine's copy of a data snapshot). */
  log?: (message: string) => void;
  /** Whose scrub rules the data step uses (default: the incident's commit's). */
  rulesFrom?: RulesFrom;
  /** The data cache's size (cacheSize.ts; default 2 GB). */
  cacheBytes?: number;
}

export interface RunResult {
  receipt: Receipt;
  stack: RunningStack;
  files: { json: string; markdown: string };
}

export async function runReproduction(o: RunOptions): Promise<RunResult> {
  const deps = engineDeps({
    docker: o.docker, selfHealthCheck: o.selfHealthCheck, repo: o.repo, storage: o.home, incident: o.incident.id,
    ...(o.remote ? { remote: o.remote } : {}), ...(o.gatewayImage ? { gatewayImage: o.gatewayImage } : {}),
    ...(o.incident.time ? { incidentTime: o.incident.time } : {}),
    ...(o.secrets ? { secrets: o.secrets } : {}), ...(o.sourceNetwork ? { sourceNetwork: o.sourceNetwork } : {}),
    ...(o.log ? { log: o.log } : {}), ...(o.rulesFrom ? { rulesFrom: o.rulesFrom } : {}),
    ...(o.cacheBytes !== undefined ? { cacheBytes: o.cacheBytes } : {}),
  });
  const { receipt, stack } = await reproduce(o.incident, deps, {
    session: o.session, clone: o.repo.root,
    ...(o.signal ? { signal: o.signal } : {}), ...(o.onEvent ? { onEvent: o.onEvent } : {}),
  });
  const files = writeReceipt(sessionDir(o.home, o.session), receipt);
  return { receipt, stack, files };
}
