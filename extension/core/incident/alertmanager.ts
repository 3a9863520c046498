// Prometheus Alertmanager's webhook receiver payload (version "4"): see alertGroup.ts.
// Commit, release, service and environment come from the alert's labels, then its annotations,
// by the common names in wellKnownLabels.ts (commit, git_commit, sha, release, version,
// service, app, job, env, environment...).
import type { AlertParseResult } from './model';
import { normaliseAlertGroup } from './alertGroup';
import type { Obj } from './values';

export const isAlertmanagerPayload = (p: Obj): boolean =>
  Array.isArray(p.alerts) && (typeof p.groupKey === 'string' || typeof p.receiver === 'string' || p.version === '4');

export const normaliseAlertmanager = (p: Obj): AlertParseResult =>
  normaliseAlertGroup(p, { source: 'alertmanager', tool: 'Alertmanager', urlFields: [] });
