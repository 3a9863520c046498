// A reproduce link for each alert tool, written in the tool's own template language, to paste
// in alert rules and notification templates. Each comes with where it goes and an example of
// what the tool renders, which the tests parse back as a link.
import type { IncidentSource } from './model';

export interface LinkTemplate {
  tool: Exclude<IncidentSource, 'link'>;
  name: string;
  /** The link with the tool's variables in it. */
  template: string;
  /** Where in the tool it goes. */
  where: string;
  /** The link as the tool renders it for a sample alert. */
  example: string;
  notes: string;
}

/**
 * Go's url.QueryEscape, which `urlquery` in Alertmanager and Grafana templates applies: space
 * as '+', everything but letters, digits and - _ . ~ percent-encoded.
 */
export const goQueryEscape = (s: string): string =>
  encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** A parameter: its name, the tool's expression for it, and the value the example renders. */
type Part = [param: string, expression: string, sample: string];

const SHA = '4f2c9a1e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39';

function build(base: string, given: readonly Part[], encode: (s: string) => string, repository: string | undefined): { template: string; example: string } {
  // The repository is a constant of the project, the same in every alert: written in the link
  // as it is (already encoded), right after the incident id (Datadog's $LINK must stay last).
  const parts = repository ? [given[0]!, ['repo', encodeURIComponent(repository), repository] as Part, ...given.slice(1)] : given;
  return {
    template: `${base}?${parts.map(([p, e]) => `${p}=${e}`).join('&')}`,
    example: `${base}?${parts.map(([p, e, s]) => `${p}=${p === 'repo' ? e : encode(s)}`).join('&')}`,
  };
}

/** Alertmanager and Grafana render the same notification data (.Alerts, .CommonLabels...). */
const GO_PARTS = (urlField: string): Part[] => [
  ['incident', '{{ (index .Alerts 0).Fingerprint }}', 'a1bc48475b20e73d'],
  ['title', '{{ .CommonAnnotations.summary | urlquery }}', 'High error rate on checkout'],
  ['commit', '{{ .CommonLabels.commit | urlquery }}', SHA],
  ['release', '{{ .CommonLabels.version | urlquery }}', 'v1.4.2'],
  ['env', '{{ .CommonLabels.env | urlquery }}', 'production'],
  ['service', '{{ .CommonLabels.service | urlquery }}', 'checkout'],
  ['time', '{{ (index .Alerts 0).StartsAt.Format "2006-01-02T15:04:05Z07:00" | urlquery }}', '2024-05-01T12:30:00Z'],
  ['url', `{{ (index .Alerts 0).${urlField} | urlquery }}`, 'https://grafana.example.com/alerting/grafana/dd2f0260/view'],
];

/**
 * One template per tool for links opened with `scheme` ("vscode", "vscode-insiders",
 * "cursor"...), naming `repository` (the manifest's project.repository) when it is known, so
 * that a link opened in a clone of another project is refused. Throws RangeError for a scheme
 * that is not a URI scheme (a caller's bug).
 */
export function buildLinkTemplates(scheme = 'vscode', repository?: string): LinkTemplate[] {
  if (!/^[a-z][a-z0-9+.-]{0,31}$/.test(scheme)) throw new RangeError(`not a URI scheme: ${JSON.stringify(scheme)}`);
  const base = `${scheme}://reprokit.repro/reproduce`;
  const raw = (s: string): string => s;
  const list: LinkTemplate[] = [];

  list.push({
    tool: 'alertmanager',
    name: 'Alertmanager',
    ...build(base, GO_PARTS('GeneratorURL'), goQueryEscape, repository),
    where: 'a receiver\'s message template (slack_configs[].text, a {{ define }} in a template file...)',
    notes: 'commit, version, env and service are read from the alerts\' common labels: add those labels in the rule or via relabelling. A label an alert does not have renders empty and is ignored.',
  });
  list.push({
    tool: 'grafana',
    name: 'Grafana',
    ...build(base, GO_PARTS('GeneratorURL'), goQueryEscape, repository),
    where: 'Alerting > Contact points > Notification templates, used in a contact point\'s message',
    notes: 'Same data as Alertmanager. Use (index .Alerts 0).PanelURL instead of GeneratorURL to link the panel.',
  });
  list.push({
    tool: 'pagerduty',
    name: 'PagerDuty',
    ...build(base, [
      ['incident', '{{event.custom_details.incident}}', 'INC-1234'],
      ['commit', '{{event.custom_details.commit}}', SHA],
      ['release', '{{event.custom_details.release}}', 'v1.4.2'],
      ['env', '{{event.custom_details.env}}', 'production'],
      ['service', '{{event.custom_details.service}}', 'checkout'],
    ], raw, repository),
    where: 'an Event Orchestration rule\'s "Add custom details" action (e.g. a repro_link detail)',
    notes: 'PagerDuty fills these from the Events API v2 event\'s custom_details, which the sending tool sets. PagerDuty does not URL-encode, so only plain ids are passed; to reproduce from the whole event, store it and link it with payload=https://...',
  });
  list.push({
    tool: 'sentry',
    name: 'Sentry',
    template: `${base}?payload={{ https URL of the stored event JSON, URL-encoded }}`,
    where: 'wherever the team stores Sentry webhook bodies (an internal integration\'s webhook receiver)',
    example: `${base}?payload=${encodeURIComponent('https://alerts.example.com/sentry/599349254a1447a99774b5310711c1a8.json')}`,
    notes: 'Sentry alert rules cannot template links. Repro reads Sentry\'s webhook JSON itself (issue alerts, the legacy webhook plugin, an event\'s JSON): store it on a host listed in repro.trustedAlertHosts and link it, or paste the JSON into "Repro: Reproduce from Alert Payload".',
  });
  list.push({
    tool: 'datadog',
    name: 'Datadog',
    ...build(base, [
      ['incident', '$ID', '7254683490116934371'],
      ['time', '$DATE', '1714566600000'],
      ['url', '$LINK', 'https://app.datadoghq.com/event/jump_to?event_id=7254683490116934371'],
    ], raw, repository),
    where: 'the Webhooks integration\'s custom payload (e.g. a "repro_link" field), for monitors that notify @webhook-<name>',
    notes: 'Datadog does not URL-encode webhook variables: $LINK goes last, and commit, version, env and service are read from $TAGS when the whole payload is given to Repro (paste it, or link it with payload=https://...).',
  });
  list.push({
    tool: 'opsgenie',
    name: 'Opsgenie',
    ...build(base, [
      ['incident', '{{alias}}', 'checkout-error-rate'],
      ['service', '{{entity}}', 'checkout'],
    ], raw, repository),
    where: 'an integration action\'s alert fields (e.g. the description, or a custom action\'s link)',
    notes: 'Opsgenie\'s dynamic fields are not URL-encoded, so only the alias and entity (plain names) are passed; Repro reads commit, release and environment from the outgoing webhook\'s alert details and key:value tags.',
  });
  return list;
}
