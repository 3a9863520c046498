// Whose scrubbing rules a reproduction uses. By default repro.yaml's at the incident's commit,
// the same as everything else the reproduction reads. But a live database has today's schema,
// and a column added since that commit (or a rule written since) is not covered there: the
// coverage gate stops the clone, and nothing in an old commit can be changed. The developer may
// then choose the rules of their checkout's repro.yaml instead (`rulesFrom: workspace`): each
// service's `tables` and `acknowledge` come from there; its source, the key and everything
// else stay the commit's. The gate applies to whichever rules are used, so no choice lets
// uncovered personal data through.
import type { DataSpec, Manifest } from '../manifest/schema';

export type RulesFrom = 'incident' | 'workspace';

const rulesOf = (d: DataSpec | undefined) => JSON.stringify({ tables: d?.tables ?? {}, acknowledge: d?.acknowledge ?? [] });

export interface WorkspaceRules {
  manifest: Manifest;
  /** Services whose rules now come from the workspace. */
  used: string[];
  /** Services with a data source at the commit and none in the workspace's repro.yaml: the commit's rules stay. */
  missing: string[];
}

/** The commit's manifest with each data service's rules taken from the workspace's. */
export function withWorkspaceRules(commit: Manifest, workspace: Manifest | undefined): WorkspaceRules {
  const services = { ...commit.services };
  const used: string[] = [];
  const missing: string[] = [];
  for (const [name, svc] of Object.entries(commit.services ?? {})) {
    if (!svc.data) continue;
    const mine = workspace?.services?.[name]?.data;
    if (!mine) { missing.push(name); continue; }
    const { tables: _t, acknowledge: _a, ...rest } = svc.data;
    services[name] = { ...svc, data: { ...rest, ...(mine.tables ? { tables: mine.tables } : {}), ...(mine.acknowledge ? { acknowledge: mine.acknowledge } : {}) } };
    used.push(name);
  }
  return { manifest: { ...commit, services }, used, missing };
}

/** Of `services`, those whose rules in the workspace's repro.yaml differ from the commit's. */
export function otherRulesInWorkspace(commit: Manifest, workspace: Manifest | undefined, services: string[]): string[] {
  return services.filter((s) => {
    const mine = workspace?.services?.[s]?.data;
    return mine !== undefined && rulesOf(mine) !== rulesOf(commit.services?.[s]?.data);
  });
}

/** What a gate failure under the commit's rules adds when the checkout has other rules. */
export function workspaceRulesHint(services: string[]): string {
  return `These rules are repro.yaml's at the incident's commit. Your checkout's repro.yaml has other rules for ${services.join(', ')}: `
    + 'to reproduce with those, set "repro.data.rulesFrom" to "workspace" in VS Code\'s settings '
    + '(or run repro reproduce --rules-from workspace). The coverage gate then checks those rules.';
}
