// Datadog's webhooks integration. Its payload is a template the team writes with Datadog's
// $VARIABLES, so there is no fixed schema: this reads the default template's keys (body,
// last_updated, event_type, title, date, org, id) and the lower-case names of the other
// documented variables (alert_transition, alert_id, alert_cycle_key, link, tags, hostname,
// alert_priority...). Commit, release, service and environment come from $TAGS by the common
// names (unified service tagging: env, service, version; git.commit.sha).
import { makeIncident, type AlertParseResult } from './model';
import { withCommitFromRelease, wellKnownFields } from './wellKnownLabels';
import { asObj, cleanLabels, cleanText, derivedId, httpUrl, normaliseTime, safeId, str, type Obj } from './values';

/** Keys only Datadog's variables produce; one of them, or the default template's set, identifies the payload. */
const DATADOG_KEYS = ['alert_transition', 'alert_cycle_key', 'aggreg_key', 'alert_query', 'alert_scope', 'alert_metric', 'event_msg', 'event_title'];

export const isDatadogPayload = (p: Obj): boolean =>
  DATADOG_KEYS.some((k) => k in p) || ('event_type' in p && 'last_updated' in p) || ('event_type' in p && 'body' in p && 'org' in p);

/** A $VARIABLE Datadog left as it was: it has no value for this kind of monitor. */
const UNFILLED = /^\$[A-Z][A-Z0-9_]*(\[[^\]]*\])?$/;

export function normaliseDatadog(p: Obj): AlertParseResult {
  const warnings: string[] = [];
  const unfilled: string[] = [];
  const get = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = str(p[k]);
      if (v === undefined) continue;
      if (UNFILLED.test(v.trim())) { unfilled.push(v.trim()); continue; }
      return v;
    }
    return undefined;
  };

  const tags = parseTags(get('tags') ?? '');
  const scope = parseTags(get('alert_scope') ?? '');
  const fields = withCommitFromRelease(wellKnownFields(warnings, 'tag', tags, scope), warnings);
  const transition = get('alert_transition');
  if (transition === 'Recovered') warnings.push('the Datadog alert has recovered; reproducing it may show nothing wrong');
  const org = asObj(p.org);
  const title = cleanText(get('title', 'event_title', 'alert_title')) ?? 'Datadog alert';
  const time = normaliseTime(get('date', 'last_updated'));
  const url = httpUrl(get('link'));

  const labels = cleanLabels(tags, scope, {
    alert_transition: transition,
    alert_id: get('alert_id'),
    alert_cycle_key: get('alert_cycle_key'),
    alert_priority: get('alert_priority'),
    alert_type: get('alert_type'),
    alert_metric: get('alert_metric'),
    event_type: get('event_type'),
    hostname: get('hostname', 'host_name'),
    org: str(org.name),
  });
  const id = safeId(get('id')) ?? safeId(get('alert_cycle_key')) ?? derivedId('datadog', title, get('date') ?? '');
  if (unfilled.length) warnings.push(`Datadog left ${[...new Set(unfilled)].join(', ')} unfilled (no value for this kind of monitor); those fields are empty`);

  const incident = makeIncident({
    id,
    source: 'datadog',
    title,
    ...fields,
    time,
    frames: [],
    url,
    labels,
  });
  return { incident, warnings };
}

/**
 * $TAGS and $ALERT_SCOPE: "env:production,service:checkout, role:web,monitor". "key:value"
 * tags become labels; bare tags become labels with an empty value.
 */
export function parseTags(text: string): Record<string, string> {
  const out: Record<string, unknown> = {};
  for (const raw of text.split(',')) {
    const t = raw.trim();
    if (!t) continue;
    const i = t.indexOf(':');
    if (i > 0) out[t.slice(0, i)] = t.slice(i + 1);
    else out[t] = '';
  }
  return cleanLabels(out);
}
