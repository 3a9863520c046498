// Alertmanager's webhook (version "4") and Grafana's unified alerting webhook share one shape:
// a group of alerts, each with labels, annotations, startsAt and links, plus the labels and
// annotations common to the group. One incident is one alert: the first firing one.
import { makeIncident, type AlertParseResult, type IncidentSource } from './model';
import { withCommitFromRelease, wellKnownFields } from './wellKnownLabels';
import { asArray, cleanLabels, cleanText, derivedId, httpUrl, isObj, normaliseTime, safeId, str, type Obj } from './values';

export interface GroupOptions {
  source: Extract<IncidentSource, 'alertmanager' | 'grafana'>;
  /** Display name of the tool in messages. */
  tool: string;
  /** Alert fields holding a link back, best first (Grafana's panel before its rule). */
  urlFields: string[];
}

export function normaliseAlertGroup(p: Obj, opts: GroupOptions): AlertParseResult {
  const warnings: string[] = [];
  const alerts = asArray(p.alerts).filter(isObj);
  if (!alerts.length) return { warnings, error: `the ${opts.tool} payload has no alerts: "alerts" is ${Array.isArray(p.alerts) ? 'empty' : 'missing'}` };
  const firing = alerts.find((a) => a.status === 'firing');
  const alert = firing ?? alerts[0]!;
  const fingerprint = str(alert.fingerprint);
  if (alerts.length > 1) {
    warnings.push(`the payload groups ${alerts.length} alerts; this incident is the ${firing ? 'first firing one' : 'first one'}${fingerprint ? ` (fingerprint ${fingerprint})` : ''}`);
  }
  const status = str(alert.status) ?? str(p.status);
  if (status === 'resolved') warnings.push(`the alert is resolved${normaliseTime(alert.endsAt) ? ` (ended ${normaliseTime(alert.endsAt)})` : ''}; reproducing it may show nothing wrong`);

  // Common labels first: the alert's own labels are more specific and win.
  const labels = cleanLabels(p.commonLabels, alert.labels);
  const annotations = cleanLabels(p.commonAnnotations, alert.annotations);
  const fields = withCommitFromRelease(wellKnownFields(warnings, 'label', labels, annotations), warnings);

  const title = cleanText(annotations.summary) ?? cleanText(annotations.title) ?? cleanText(p.title) ?? cleanText(labels.alertname) ?? `${opts.tool} alert`;
  const startsAt = normaliseTime(alert.startsAt);
  const id = safeId(fingerprint) ?? derivedId(opts.source, labels, str(alert.startsAt) ?? '');
  let url: string | undefined;
  for (const f of [...opts.urlFields, 'generatorURL']) {
    url = httpUrl(alert[f]);
    if (url) break;
  }
  url ??= httpUrl(p.externalURL);
  if (!url && str(alert.generatorURL)) warnings.push(`generatorURL ${JSON.stringify(str(alert.generatorURL))} is not an http(s) URL (set the tool's external URL); no link back to the alert is kept`);

  const incident = makeIncident({
    id,
    source: opts.source,
    title,
    ...fields,
    time: startsAt,
    frames: [],
    url,
    labels: { ...labels, ...(status ? { status } : {}) },
  });
  return { incident, warnings };
}
