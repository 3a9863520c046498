// PagerDuty, in the two forms that reach a receiver:
// - Events API v2 (what monitoring tools send to PagerDuty, and what a PagerDuty event
//   orchestration forwards): routing_key, event_action, dedup_key, payload {summary, severity,
//   source, component, group, class, custom_details, timestamp}, links, client_url.
//   Commit, release, service and environment come from custom_details by the common names
//   (wellKnownLabels.ts); without a service there, the payload's component is the service.
// - Webhooks v3 (what PagerDuty sends about its incidents): event {event_type "incident.*",
//   occurred_at, data {id, title, html_url, service, status, urgency...}}.
import { isName, makeIncident, type AlertParseResult } from './model';
import { withCommitFromRelease, wellKnownFields } from './wellKnownLabels';
import { asArray, asObj, cleanLabels, cleanText, derivedId, httpUrl, isObj, normaliseTime, safeId, str, type Obj } from './values';

export const isPagerDutyEvent = (p: Obj): boolean => typeof p.routing_key === 'string' || (typeof p.event_action === 'string' && isObj(p.payload));
export const isPagerDutyWebhook = (p: Obj): boolean => isObj(p.event) && typeof asObj(p.event).event_type === 'string' && isObj(asObj(p.event).data);
export const isPagerDutyPayload = (p: Obj): boolean => isPagerDutyEvent(p) || isPagerDutyWebhook(p);

export function normalisePagerDuty(p: Obj): AlertParseResult {
  return isPagerDutyWebhook(p) ? normaliseWebhook(p) : normaliseEvent(p);
}

function normaliseEvent(p: Obj): AlertParseResult {
  const warnings: string[] = [];
  const action = str(p.event_action);
  const payload = asObj(p.payload);
  if (!action && isObj(p.payload) && !('severity' in payload)) {
    return { warnings, error: 'this is a PagerDuty change event (a deploy or config change), not an incident: expected an Events API v2 "trigger" event' };
  }
  if (action && action !== 'trigger') {
    return { warnings, error: `this PagerDuty event's event_action is "${action}"; only a "trigger" event describes an incident (acknowledge and resolve events carry no details)` };
  }
  const summary = cleanText(payload.summary);
  if (!summary) return { warnings, error: 'the PagerDuty event has no payload.summary: expected an Events API v2 trigger event' };

  const details = cleanLabels(payload.custom_details);
  const labels = cleanLabels(
    { severity: payload.severity, source: payload.source, component: payload.component, group: payload.group, class: payload.class, client: p.client },
    details,
  );
  const fields = withCommitFromRelease(wellKnownFields(warnings, 'custom detail', details), warnings);
  const component = str(payload.component);
  const service = fields.service ?? (component && isName(component) ? component : undefined);
  const url = asArray(p.links).map((l) => httpUrl(asObj(l).href)).find((u) => u) ?? httpUrl(p.client_url);
  const time = normaliseTime(payload.timestamp);

  const incident = makeIncident({
    id: safeId(p.dedup_key) ?? derivedId('pagerduty', summary, str(payload.source) ?? '', str(payload.timestamp) ?? ''),
    source: 'pagerduty',
    title: summary,
    ...fields,
    service,
    time,
    frames: [],
    url,
    labels,
  });
  return { incident, warnings };
}

function normaliseWebhook(p: Obj): AlertParseResult {
  const warnings: string[] = [];
  const event = asObj(p.event);
  const type = str(event.event_type) ?? '';
  const data = asObj(event.data);
  if (!type.startsWith('incident.') || (str(data.type) && data.type !== 'incident')) {
    return { warnings, error: `this PagerDuty webhook is about "${type}", not an incident: expected an incident.* event such as incident.triggered` };
  }
  if (type === 'incident.resolved') warnings.push('the PagerDuty incident is resolved; reproducing it may show nothing wrong');
  const service = asObj(data.service);
  const serviceName = str(service.summary);
  // Incident custom fields, when the webhook carries them: [{name, value}, ...].
  const custom = Object.fromEntries(asArray(data.custom_fields).filter(isObj).flatMap((f) => (str(f.name) ? [[str(f.name)!, f.value]] : [])));
  const fields = withCommitFromRelease(wellKnownFields(warnings, 'custom field', cleanLabels(custom)), warnings);
  // The PagerDuty service's name is the service when it is a usable name ("Checkout API" is not).
  const serviceField = fields.service ?? (serviceName && isName(serviceName) ? serviceName : undefined);
  const time = normaliseTime(event.occurred_at) ?? normaliseTime(data.created_at);
  const url = httpUrl(data.html_url);
  const labels = cleanLabels({
    event_type: type,
    status: data.status,
    urgency: data.urgency,
    priority: asObj(data.priority).summary,
    number: data.number,
    service_id: service.id,
  });

  const incident = makeIncident({
    id: safeId(data.id) ?? derivedId('pagerduty', str(event.id) ?? '', type),
    source: 'pagerduty',
    title: cleanText(data.title) ?? `PagerDuty incident ${str(data.number) ?? ''}`.trim(),
    ...fields,
    service: serviceField,
    time,
    frames: [],
    url,
    labels,
  });
  return { incident, warnings };
}
