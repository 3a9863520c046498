// Opsgenie's outgoing webhook: {action, alert {alertId, message, alias, tinyId, entity, tags,
// details, priority, createdAt (epoch ms)}, source, integrationName...}. Commit, release,
// service and environment come from the alert's details (its custom properties) and from
// "key:value" tags by the common names; without a service there, the alert's entity is the
// service when it is a usable name. The webhook has no link back to the alert.
import { isName, makeIncident, type AlertParseResult } from './model';
import { parseTags } from './datadog';
import { withCommitFromRelease, wellKnownFields } from './wellKnownLabels';
import { asArray, asObj, cleanLabels, cleanText, derivedId, isObj, normaliseTime, safeId, str, type Obj } from './values';

export const isOpsgeniePayload = (p: Obj): boolean => isObj(p.alert) && typeof p.action === 'string' && ('alertId' in asObj(p.alert) || 'tinyId' in asObj(p.alert));

const CLOSED = ['Close', 'Delete', 'CloseAlert', 'DeleteAlert'];

export function normaliseOpsgenie(p: Obj): AlertParseResult {
  const warnings: string[] = [];
  const alert = asObj(p.alert);
  const action = str(p.action) ?? '';
  if (CLOSED.includes(action)) warnings.push(`the Opsgenie alert was ${action === 'Delete' || action === 'DeleteAlert' ? 'deleted' : 'closed'}; reproducing it may show nothing wrong`);

  const tagList = asArray(alert.tags).filter((t): t is string => typeof t === 'string');
  const tagLabels = parseTags(tagList.join(','));
  const details = cleanLabels(alert.details);
  const fields = withCommitFromRelease(wellKnownFields(warnings, 'detail', details, tagLabels), warnings);
  const entity = str(alert.entity);
  const service = fields.service ?? (entity && isName(entity) ? entity : undefined);
  const title = cleanText(alert.message) ?? 'Opsgenie alert';
  const time = normaliseTime(alert.createdAt);
  const priority = typeof alert.priority === 'number' ? `P${alert.priority}` : alert.priority;

  const incident = makeIncident({
    id: safeId(alert.alertId) ?? safeId(alert.alias) ?? derivedId('opsgenie', title, str(alert.createdAt) ?? ''),
    source: 'opsgenie',
    title,
    ...fields,
    service,
    time,
    frames: [],
    labels: cleanLabels(tagLabels, details, {
      action,
      alias: alert.alias,
      tiny_id: alert.tinyId,
      entity,
      priority,
      alert_source: alert.source,
      integration: p.integrationName,
    }),
  });
  return { incident, warnings };
}
