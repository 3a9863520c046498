// Grafana's webhook contact point. Unified alerting (Grafana 8+, version "1") sends
// Alertmanager's shape plus orgId, title, state, message and per-alert dashboard/panel/silence
// URLs and values: see alertGroup.ts. Legacy dashboard alerting (before Grafana 8) sent one
// rule: ruleName, ruleUrl, state, evalMatches and tags.
import { makeIncident, type AlertParseResult } from './model';
import { normaliseAlertGroup } from './alertGroup';
import { withCommitFromRelease, wellKnownFields } from './wellKnownLabels';
import { asArray, cleanLabels, cleanText, derivedId, httpUrl, isObj, str, type Obj } from './values';

const hasGrafanaAlertFields = (p: Obj): boolean =>
  asArray(p.alerts).some((a) => isObj(a) && ('valueString' in a || 'dashboardURL' in a || 'panelURL' in a || 'silenceURL' in a || 'values' in a));

export const isGrafanaPayload = (p: Obj): boolean =>
  (Array.isArray(p.alerts) && ('orgId' in p || hasGrafanaAlertFields(p))) || isLegacyGrafana(p);

const isLegacyGrafana = (p: Obj): boolean => typeof p.ruleName === 'string' && typeof p.state === 'string' && ('evalMatches' in p || 'ruleUrl' in p || 'ruleId' in p);

export function normaliseGrafana(p: Obj): AlertParseResult {
  if (!Array.isArray(p.alerts) && isLegacyGrafana(p)) return normaliseLegacy(p);
  return normaliseAlertGroup(p, { source: 'grafana', tool: 'Grafana', urlFields: ['panelURL', 'dashboardURL'] });
}

function normaliseLegacy(p: Obj): AlertParseResult {
  const warnings: string[] = [];
  const state = str(p.state);
  if (state === 'ok') warnings.push('the alert is resolved (state "ok"); reproducing it may show nothing wrong');
  const labels = cleanLabels(p.tags);
  const fields = withCommitFromRelease(wellKnownFields(warnings, 'tag', labels), warnings);
  const url = httpUrl(p.ruleUrl);
  const incident = makeIncident({
    id: derivedId('grafana', str(p.ruleId) ?? '', str(p.ruleName) ?? '', str(p.dashboardId) ?? '', str(p.panelId) ?? ''),
    source: 'grafana',
    title: cleanText(p.title) ?? cleanText(p.ruleName) ?? 'Grafana alert',
    ...fields,
    frames: [],
    url,
    labels: { ...labels, ...(state ? { state } : {}) },
  });
  return { incident, warnings };
}
