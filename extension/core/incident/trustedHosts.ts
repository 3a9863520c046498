// Which hosts a reproduce link may make Repro fetch an alert payload from. A link's payload URL
// is fetched without asking, so it must be https (nobody on the way can swap the incident) and
// on a host the user listed in the repro.trustedAlertHosts setting: an exact host name, or
// "*.example.com" for any subdomain of example.com (not example.com itself).
import type { Check } from './linkParams';
import { EXPECTED } from './linkParams';
import { LIMITS } from './model';
import { hasControlChars, hideCredentials, quote } from './values';

export const TRUSTED_HOSTS_SETTING = 'repro.trustedAlertHosts';

interface HostRule { exact?: string; suffix?: string; text: string }

/** A host name as URL parsing gives it (lower case, IDNA), or undefined for anything more than a host. */
function hostOf(name: string): string | undefined {
  if (!name || /[/?#@:\s\\]/.test(name)) return undefined;
  try {
    return new URL(`https://${name}/`).hostname || undefined;
  } catch {
    return undefined;
  }
}

/** The setting's entries as rules; unusable entries are skipped with a warning. */
export function hostRules(patterns: readonly unknown[], warnings: string[]): HostRule[] {
  const rules: HostRule[] = [];
  for (const p of patterns) {
    if (typeof p !== 'string' || !p.trim()) continue;
    let text = p.trim().toLowerCase();
    // Users paste addresses; the host is what counts.
    const scheme = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/.exec(text);
    if (scheme) text = scheme[1]!.replace(/^.*@/, '').replace(/:\d+$/, '');
    if (text.startsWith('*.')) {
      const suffix = hostOf(text.slice(2));
      // "*.com" would trust every .com host: a suffix needs two labels at least.
      if (suffix && suffix.includes('.')) rules.push({ suffix: `.${suffix}`, text: p });
      else warnings.push(`${TRUSTED_HOSTS_SETTING}: ${quote(p)} is too broad or not a host pattern; it is ignored (use *.example.com)`);
      continue;
    }
    const exact = text.includes('*') ? undefined : hostOf(text);
    if (exact) rules.push({ exact, text: p });
    else warnings.push(`${TRUSTED_HOSTS_SETTING}: ${quote(p)} is not a host name; it is ignored (use alerts.example.com or *.example.com)`);
  }
  return rules;
}

export const hostMatches = (host: string, rules: readonly HostRule[]): boolean =>
  rules.some((r) => (r.exact !== undefined ? host === r.exact : r.suffix !== undefined && host.endsWith(r.suffix) && host.length > r.suffix.length));

/** The payload URL, when it is https, has no credentials and is on a trusted host. */
export function checkPayloadUrl(v: string, trustedHosts: readonly unknown[]): Check<string> {
  const warnings: string[] = [];
  if (v.length > LIMITS.urlChars) return { ok: false, error: `payload: the address is ${v.length} characters long; at most ${LIMITS.urlChars}` };
  if (hasControlChars(v)) return { ok: false, error: `payload: ${quote(hideCredentials(v))} has a control character; expected ${EXPECTED.payload}` };
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return { ok: false, error: `payload: ${quote(hideCredentials(v))} is not an address; expected ${EXPECTED.payload}` };
  }
  if (u.protocol !== 'https:') {
    return { ok: false, error: `payload: ${quote(hideCredentials(v))} is ${u.protocol.replace(/:$/, '')}, not https: Repro fetches alert payloads only over https, so nobody on the way can change the incident; expected ${EXPECTED.payload}` };
  }
  if (u.username || u.password) return { ok: false, error: 'payload: the address has a user name or password in it; credentials do not belong in links (the host must serve the payload to a plain https GET)' };
  const rules = hostRules(Array.isArray(trustedHosts) ? trustedHosts : [], warnings);
  if (!hostMatches(u.hostname, rules)) {
    // The setting's ignored entries are named here: this error is all the user sees.
    const now = rules.length ? `it lists ${rules.map((r) => r.text).join(', ')}` : warnings.length ? 'none of its entries is usable' : 'it is empty';
    // Suggest a wildcard only where hostRules would accept it (two labels at least, not an IP address).
    const parent = u.hostname.split('.').slice(1).join('.');
    const wildcard = parent.includes('.') && !/^[\d.]+$|^\[/.test(u.hostname) ? ` (or "*.${parent}")` : '';
    return {
      ok: false,
      error: `payload: the host ${u.hostname} is not trusted. Repro fetches payloads only from hosts in the "${TRUSTED_HOSTS_SETTING}" setting (${now}${warnings.length ? `; ${warnings.join('; ')}` : ''}); if you expect alerts from ${u.hostname}, add "${u.hostname}"${wildcard} to that setting`,
    };
  }
  return { ok: true, value: u.href, ...(warnings.length ? { warnings } : {}) };
}
