// Which commit, release, service and environment an alert is about, read from the label (tag,
// custom detail) names teams commonly use. Alert tools have no fields for these: Prometheus and
// Grafana rules carry them as labels, Datadog as tags (unified service tagging: env, service,
// version; source code integration: git.commit.sha), PagerDuty as custom_details, Opsgenie as
// details. The first name in each list that has a usable value wins.
import { isName, isRelease, isSha } from './model';
import { quote } from './values';

/** Commit: "commit" and "git_commit" by convention, "sha"/"revision" from CI, Datadog's git.commit.sha. */
export const COMMIT_KEYS = ['commit', 'git_commit', 'git_sha', 'commit_sha', 'git.commit.sha', 'sha', 'revision', 'git_revision', 'vcs_revision'];
/** Release: Sentry's "release", Datadog's and OpenTelemetry's "version", the Kubernetes recommended label. */
export const RELEASE_KEYS = ['release', 'version', 'app_version', 'service_version', 'service.version', 'app.kubernetes.io/version', 'image_tag'];
/**
 * Service: "service" (Datadog, OpenTelemetry service.name), "app"/"application" (Kubernetes
 * selectors), and last Prometheus' "job", which names the scrape job and is often, not
 * always, the service.
 */
export const SERVICE_KEYS = ['service', 'service_name', 'service.name', 'app', 'application', 'app.kubernetes.io/name', 'job'];
/** Environment: "env" (Datadog), "environment" (Sentry), OpenTelemetry's deployment.environment. */
export const ENVIRONMENT_KEYS = ['environment', 'env', 'deployment_environment', 'deployment.environment', 'stage'];

export interface WellKnown {
  commit?: string;
  release?: string;
  service?: string;
  environment?: string;
}

function lookup(labels: Record<string, string>, keys: readonly string[]): { key: string; value: string }[] {
  const lower = new Map(Object.entries(labels).map(([k, v]) => [k.toLowerCase(), { key: k, value: v.trim() }]));
  return keys.flatMap((k) => {
    const hit = lower.get(k);
    return hit && hit.value ? [hit] : [];
  });
}

/**
 * The well-known fields of one or more label sets (earlier sets first: an alert's labels before
 * its annotations). Values that are present but unusable give a warning naming the label.
 */
export function wellKnownFields(warnings: string[], where: string, ...sets: Record<string, string>[]): WellKnown {
  const out: WellKnown = {};
  const pick = (keys: readonly string[], ok: (v: string) => boolean, what: string, norm: (v: string) => string = (v) => v): string | undefined => {
    for (const set of sets) {
      for (const { key, value } of lookup(set, keys)) {
        const v = norm(value);
        if (ok(v)) return v;
        warnings.push(`${where} ${key}=${quote(value)} is not ${what}; it is not used`);
      }
    }
    return undefined;
  };
  const commit = pick(COMMIT_KEYS, isSha, 'a git commit sha (7 to 40 hexadecimal digits)', (v) => v.toLowerCase());
  const release = pick(RELEASE_KEYS, isRelease, 'a release (letters, digits and . _ / @ + -, at most 128, no "..")');
  const service = pick(SERVICE_KEYS, isName, 'a service name (letters, digits, . _ -)');
  const environment = pick(ENVIRONMENT_KEYS, isName, 'an environment name (letters, digits, . _ -)');
  if (commit) out.commit = commit;
  if (release) out.release = release;
  if (service) out.service = service;
  if (environment) out.environment = environment;
  return out;
}

/**
 * The commit a release names, when it names one: a full 40-digit sha (alone, or after "@",
 * "+" or "-" as in "shop@<sha>" or "1.4.2+<sha>"), or a shorter sha after "@" or "+" that has
 * a letter in it (all-digit "versions" such as 2024061 are hex too, and are not commits).
 */
export function commitFromRelease(release: string): string | undefined {
  const r = release.toLowerCase();
  const full = /(?:^|[@+-])([0-9a-f]{40})$/.exec(r);
  if (full) return full[1];
  const short = /[@+]([0-9a-f]{7,39})$/.exec(r);
  if (short && /[a-f]/.test(short[1]!) && /[0-9]/.test(short[1]!)) return short[1];
  return undefined;
}

/** Fills `commit` from the release when only the release is known, saying so. */
export function withCommitFromRelease<T extends { commit?: string; release?: string }>(fields: T, warnings: string[]): T {
  if (fields.commit || !fields.release) return fields;
  const commit = commitFromRelease(fields.release);
  if (!commit) return fields;
  warnings.push(`commit ${commit} taken from release ${quote(fields.release)}`);
  return { ...fields, commit };
}
