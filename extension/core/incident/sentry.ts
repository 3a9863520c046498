// Sentry, in every form a Sentry alert reaches a receiver or a person:
// - integration platform issue alerts: {action: "triggered", data: {event, triggered_rule}}
//   (Sentry-Hook-Resource: event_alert), and error webhooks: {data: {error}};
// - the legacy webhooks plugin: {id, project_slug, url, event, ...};
// - an event's JSON as Sentry's UI downloads it: {event_id, exception, ...};
// - issue webhooks {data: {issue}} and metric alerts {data: {metric_alert}}, which carry no
//   stack trace.
// An event gives the frames (exception.values[].stacktrace.frames: filename/abs_path, lineno,
// colno, function, in_app; Sentry lists them outermost first, the model innermost first), the
// release, the environment, the request, and from its tags the commit when a team sets one.
import type { AlertParseResult, StackFrame } from './model';
import { LIMITS, isName, isRelease, makeIncident } from './model';
import { checkFrame } from './frameCheck';
import { requestFrom } from './request';
import { withCommitFromRelease, wellKnownFields } from './wellKnownLabels';
import { asArray, asObj, cleanLabels, cleanText, derivedId, httpUrl, isObj, normaliseTime, quote, safeId, str, type Obj } from './values';

export function isSentryPayload(p: Obj): boolean {
  const data = asObj(p.data);
  if (typeof p.action === 'string' && (isObj(data.event) || isObj(data.error) || isObj(data.issue) || isObj(data.metric_alert))) return true;
  if (isObj(p.event) && ('project_slug' in p || 'project_name' in p || 'triggering_rules' in p)) return true;
  return typeof p.event_id === 'string' && ('exception' in p || 'sdk' in p || 'platform' in p);
}

export function normaliseSentry(p: Obj): AlertParseResult {
  const data = asObj(p.data);
  if (isObj(data.event) || isObj(data.error)) {
    const event = asObj(data.event ?? data.error);
    return normaliseEvent(event, { url: httpUrl(event.web_url), labels: { triggered_rule: data.triggered_rule, action: p.action }, projectSlug: projectFromApiUrl(event.url) });
  }
  if (isObj(data.issue)) return normaliseIssue(asObj(data.issue), p.action);
  if (isObj(data.metric_alert)) return normaliseMetricAlert(data, p.action);
  if (isObj(p.event)) {
    // Legacy plugin: the issue's fields at the top, its latest event inside.
    return normaliseEvent(asObj(p.event), {
      url: httpUrl(p.url),
      labels: { issue_id: p.id, culprit: p.culprit, level: p.level, triggering_rules: asArray(p.triggering_rules).filter((r) => typeof r === 'string').join('; ') },
      projectSlug: str(p.project_slug) ?? str(p.project),
      fallbackTitle: cleanText(p.message) ?? cleanText(p.culprit),
    });
  }
  return normaliseEvent(p, { url: httpUrl(p.web_url), labels: {}, projectSlug: projectFromApiUrl(p.url) });
}

interface EventContext {
  url?: string;
  labels: Obj;
  projectSlug?: string;
  fallbackTitle?: string;
}

/** Sentry's API URL for an event names the project: /api/0/projects/{org}/{project}/events/{id}/. */
function projectFromApiUrl(v: unknown): string | undefined {
  const m = /\/api\/0\/projects\/[^/]+\/([^/]+)\/events\//.exec(str(v) ?? '');
  return m?.[1];
}

/**
 * Tags that identify a person (Sentry's user tag is "id:", "email:" or "ip:<address>"): a
 * reproduction needs none of them, and labels end up in receipts and screenshots.
 */
const PERSONAL_TAG = /^(sentry:)?user(\.|$)|e-?mail|ip_address|^ip$/i;

/** Tags come as [[key, value], ...] in webhooks, as [{key, value}, ...] from the API. */
function tagsOf(v: unknown): Record<string, string> {
  const entries = isObj(v)
    ? Object.entries(v)
    : asArray(v).flatMap((t): [string, unknown][] => {
      if (Array.isArray(t) && typeof t[0] === 'string') return [[t[0], t[1]]];
      if (isObj(t) && typeof t.key === 'string') return [[t.key, t.value]];
      return [];
    });
  return cleanLabels(Object.fromEntries(entries.filter(([k]) => !PERSONAL_TAG.test(k))));
}

function normaliseEvent(event: Obj, ctx: EventContext): AlertParseResult {
  const warnings: string[] = [];
  const tags = tagsOf(event.tags);
  const fields = wellKnownFields(warnings, 'tag', tags);

  // The event's own release and environment are what the SDK reported; tags are a fallback.
  const release = str(event.release) ?? str(asObj(event.release).version);
  if (release && isRelease(release)) fields.release = release;
  else if (release) warnings.push(`release ${quote(release)} is not a usable release (letters, digits and . _ / @ + -, at most 128, no ".."); it is not used`);
  const env = str(event.environment);
  if (env && isName(env)) fields.environment = env;
  if (!fields.service && ctx.projectSlug && isName(ctx.projectSlug)) fields.service = ctx.projectSlug;
  const known = withCommitFromRelease(fields, warnings);

  const metadata = asObj(event.metadata);
  const metaTitle = str(metadata.type) ? `${str(metadata.type)}${str(metadata.value) ? `: ${str(metadata.value)}` : ''}` : undefined;
  const title = cleanText(event.title) ?? cleanText(metaTitle) ?? ctx.fallbackTitle ?? cleanText(event.message) ?? cleanText(event.culprit) ?? 'Sentry event';
  // "received" (when Sentry got the event) when the SDK sent no time, as old raven-js did.
  const time = normaliseTime(event.datetime) ?? normaliseTime(event.timestamp) ?? normaliseTime(event.received);
  const frames = framesOf(event, warnings);

  const req = asObj(event.request);
  let reqUrl = str(req.url);
  const qs = str(req.query_string);
  if (reqUrl && qs && !reqUrl.includes('?')) reqUrl = `${reqUrl}?${qs}`;
  const request = requestFrom({ method: req.method, url: reqUrl, headers: req.headers, body: req.data }, warnings);

  const labels = cleanLabels(tags, { level: event.level, platform: event.platform, culprit: event.culprit }, ctx.labels);
  const incident = makeIncident({
    id: safeId(event.event_id) ?? safeId(event.id) ?? derivedId('sentry', title, str(event.datetime) ?? ''),
    source: 'sentry',
    title,
    environment: known.environment,
    service: known.service,
    time,
    commit: known.commit,
    release: known.release,
    frames,
    request,
    url: ctx.url,
    labels,
  });
  return { incident, warnings };
}

/**
 * The stack of the exception that was raised (the last of a chain), else of the crashed
 * thread, else the event's own stacktrace; innermost first.
 */
function framesOf(event: Obj, warnings: string[]): StackFrame[] {
  const stacks: unknown[] = [];
  const exceptions = asArray(asObj(event.exception).values).filter(isObj);
  for (let i = exceptions.length - 1; i >= 0; i--) stacks.push(asObj(exceptions[i]!.stacktrace).frames);
  const threads = asArray(asObj(event.threads).values).filter(isObj);
  for (const t of [...threads.filter((t) => t.crashed === true), ...threads.filter((t) => t.current === true), ...threads]) stacks.push(asObj(t.stacktrace).frames);
  stacks.push(asObj(event.stacktrace).frames);
  const raw = stacks.map((s) => asArray(s).filter(isObj)).find((s) => s.length > 0) ?? [];

  const frames: StackFrame[] = [];
  let dropped = 0;
  for (let i = raw.length - 1; i >= 0; i--) {
    const f = raw[i]!;
    const file = str(f.abs_path) ?? str(f.filename);
    const checked = checkFrame({ file, line: f.lineno, column: f.colno, function: f.function, inApp: f.in_app }, false);
    if ('frame' in checked) frames.push(checked.frame);
    else dropped++;
  }
  if (dropped) warnings.push(`${dropped} of ${raw.length} stack frames have no usable file or line number; they are left out`);
  if (frames.length > LIMITS.frames) {
    warnings.push(`the stack has ${frames.length} frames; the innermost ${LIMITS.frames} are kept`);
    frames.length = LIMITS.frames;
  }
  return frames;
}

function normaliseIssue(issue: Obj, action: unknown): AlertParseResult {
  const warnings: string[] = ['Sentry issue webhooks carry no stack trace or request: use an issue alert rule (event_alert) or the event\'s JSON for frames'];
  const project = asObj(issue.project);
  const slug = str(project.slug);
  const title = cleanText(issue.title) ?? cleanText(issue.culprit) ?? 'Sentry issue';
  const time = normaliseTime(issue.lastSeen) ?? normaliseTime(issue.firstSeen);
  const url = httpUrl(issue.web_url) ?? httpUrl(issue.permalink);
  if (str(action) === 'resolved') warnings.push('the Sentry issue is resolved; reproducing it may show nothing wrong');
  const incident = makeIncident({
    id: safeId(issue.id) ?? derivedId('sentry', title),
    source: 'sentry',
    title,
    service: slug && isName(slug) ? slug : undefined,
    time,
    frames: [],
    url,
    labels: cleanLabels({ action, short_id: issue.shortId, level: issue.level, status: issue.status, platform: issue.platform, culprit: issue.culprit }),
  });
  return { incident, warnings };
}

function normaliseMetricAlert(data: Obj, action: unknown): AlertParseResult {
  const warnings: string[] = ['Sentry metric alerts carry no stack trace or request'];
  const alert = asObj(data.metric_alert);
  const rule = asObj(alert.alert_rule);
  const title = cleanText(data.description_title) ?? cleanText(rule.name) ?? 'Sentry metric alert';
  const time = normaliseTime(alert.date_started) ?? normaliseTime(alert.date_detected);
  const url = httpUrl(data.web_url);
  if (str(action) === 'resolved') warnings.push('the Sentry metric alert is resolved; reproducing it may show nothing wrong');
  const env = str(rule.environment);
  const incident = makeIncident({
    id: safeId(alert.id) ?? derivedId('sentry', title, str(alert.date_started) ?? ''),
    source: 'sentry',
    title,
    environment: env && isName(env) ? env : undefined,
    time,
    frames: [],
    url,
    labels: cleanLabels({ action, rule: rule.name, description: data.description_text }),
  });
  return { incident, warnings };
}
