// A pasted or fetched alert payload -> an Incident. Which tool sent it is read from its shape
// (webhooks have no common envelope); the most specific shapes are tried first, since Grafana's
// payload is also a valid Alertmanager payload. Never throws: bad input is an error string,
// a bug in a normaliser too (reported as such rather than taking the caller down).
import { isAlertmanagerPayload, normaliseAlertmanager } from './alertmanager';
import { isDatadogPayload, normaliseDatadog } from './datadog';
import { isGrafanaPayload, normaliseGrafana } from './grafana';
import type { AlertParseResult, IncidentSource } from './model';
import { isOpsgeniePayload, normaliseOpsgenie } from './opsgenie';
import { isPagerDutyPayload, normalisePagerDuty } from './pagerduty';
import { parsePayloadJson } from './payloadJson';
import { isSentryPayload, normaliseSentry } from './sentry';
import { isObj, quote, type Obj } from './values';

interface Format {
  source: Exclude<IncidentSource, 'link'>;
  name: string;
  matches: (p: Obj) => boolean;
  normalise: (p: Obj) => AlertParseResult;
}

const FORMATS: readonly Format[] = [
  { source: 'grafana', name: 'Grafana', matches: isGrafanaPayload, normalise: normaliseGrafana },
  { source: 'alertmanager', name: 'Alertmanager', matches: isAlertmanagerPayload, normalise: normaliseAlertmanager },
  { source: 'sentry', name: 'Sentry', matches: isSentryPayload, normalise: normaliseSentry },
  { source: 'pagerduty', name: 'PagerDuty', matches: isPagerDutyPayload, normalise: normalisePagerDuty },
  { source: 'opsgenie', name: 'Opsgenie', matches: isOpsgeniePayload, normalise: normaliseOpsgenie },
  { source: 'datadog', name: 'Datadog', matches: isDatadogPayload, normalise: normaliseDatadog },
];

/** Which tool a parsed payload comes from, or undefined. */
export function detectAlertSource(value: unknown): Exclude<IncidentSource, 'link'> | undefined {
  return isObj(value) ? FORMATS.find((f) => f.matches(value))?.source : undefined;
}

export function parseAlertPayload(text: string): AlertParseResult {
  let format: Format | undefined;
  try {
    if (typeof text !== 'string') return { warnings: [], error: 'the alert payload is not text' };
    const json = parsePayloadJson(text);
    if (!json.ok) return { warnings: [], error: json.error };
    const value = json.value;
    if (!isObj(value)) {
      const found = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
      return { warnings: [], error: `the alert payload is ${found}: expected a JSON object as an alert tool's webhook sends it` };
    }
    format = FORMATS.find((f) => f.matches(value));
    if (!format) {
      const keys = Object.keys(value).slice(0, 12).map((k) => quote(k, 30)).join(', ');
      return {
        warnings: [],
        error: `the payload is not one Repro knows (its top-level keys: ${keys || 'none'}): expected the webhook JSON of Alertmanager, Grafana, Sentry, PagerDuty (Events API v2 or webhooks v3), Opsgenie or Datadog`,
      };
    }
    const result = format.normalise(value);
    return result.error ? { warnings: result.warnings, error: `${format.name}: ${result.error}` } : result;
  } catch (e) {
    return { warnings: [], error: `internal error while reading the ${format?.name ?? 'alert'} payload (please report it): ${(e as Error)?.message ?? String(e)}` };
  }
}
