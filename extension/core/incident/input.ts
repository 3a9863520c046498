// What a user hands Repro to reproduce, as text: a reproduce link, or an alert payload (pasted,
// read from a file, or fetched from a trusted host that a link points at). All of it ends as
// one checked Incident or one error; a fetched payload is bounded in size, time and where it
// may redirect to, because the link that names it is untrusted.
import { parseReproduceLink, LINK_AUTHORITY } from './deepLink';
import type { Incident } from './model';
import { MAX_PAYLOAD_BYTES } from './payloadJson';
import { parseAlertPayload } from './detect';
import { checkPayloadUrl } from './trustedHosts';

export type IncidentInput =
  | { ok: true; incident: Incident; warnings: string[]; from: 'link' | 'payload' | 'payload-url'; payloadUrl?: string }
  | { ok: false; error: string };

export interface InputOptions {
  trustedHosts: readonly string[];
  /** Injected so callers can bound it; the default is fetchPayload. */
  fetchText?: (url: string, signal?: AbortSignal) => Promise<string>;
  signal?: AbortSignal;
}

/** Whether `text` is meant as a reproduce link rather than a payload. */
const LINK_START = new RegExp(`^[a-z][a-z0-9+.-]*://${LINK_AUTHORITY.replace('.', '\\.')}(/|\\?|$)`, 'i');
export const looksLikeLink = (text: string): boolean => LINK_START.test(text.trim());

export async function incidentFromText(text: string, opts: InputOptions): Promise<IncidentInput> {
  const t = text.trim();
  if (looksLikeLink(t)) {
    const link = parseReproduceLink(t, { trustedHosts: opts.trustedHosts });
    if (link.kind === 'error') return { ok: false, error: `The reproduce link was refused:\n- ${link.errors.join('\n- ')}` };
    if (link.kind === 'incident') return { ok: true, incident: link.incident, warnings: link.warnings, from: 'link' };
    return incidentFromPayloadUrl(link.url, link.warnings, opts);
  }
  return incidentFromPayload(t, [], 'payload');
}

export async function incidentFromPayloadUrl(url: string, warnings: string[], opts: InputOptions): Promise<IncidentInput> {
  // Checked again here: callers may come with a URL that did not go through a link.
  const c = checkPayloadUrl(url, opts.trustedHosts);
  if (!c.ok) return { ok: false, error: c.error };
  let text: string;
  try {
    text = await (opts.fetchText ?? fetchPayload)(c.value, opts.signal);
  } catch (e) {
    return { ok: false, error: `Could not fetch the alert payload from ${c.value}: ${(e as Error).message}` };
  }
  const r = incidentFromPayload(text, warnings, 'payload-url');
  return r.ok ? { ...r, payloadUrl: c.value } : { ok: false, error: `${r.error} (fetched from ${c.value})` };
}

function incidentFromPayload(text: string, warnings: string[], from: 'payload' | 'payload-url'): IncidentInput {
  const r = parseAlertPayload(text);
  if (r.error || !r.incident) return { ok: false, error: `The alert payload was refused: ${r.error ?? 'no incident in it'}` };
  return { ok: true, incident: r.incident, warnings: [...warnings, ...r.warnings], from };
}

/**
 * GET over https with no redirects followed (a redirect could lead to a host nobody trusted),
 * at most MAX_PAYLOAD_BYTES read, 15 s in all.
 */
export async function fetchPayload(url: string, signal?: AbortSignal): Promise<string> {
  const timeout = AbortSignal.timeout(15_000);
  const res = await fetch(url, {
    redirect: 'manual',
    headers: { accept: 'application/json' },
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  if (res.status >= 300 && res.status < 400) {
    throw new Error(`the host answered with a redirect (${res.status}) to ${res.headers.get('location') ?? 'somewhere else'}; Repro follows none: link the final address`);
  }
  if (!res.ok) throw new Error(`the host answered ${res.status} ${res.statusText}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_PAYLOAD_BYTES) throw new Error(`the payload is ${declared} bytes; at most ${MAX_PAYLOAD_BYTES} are read`);
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_PAYLOAD_BYTES) {
      await reader.cancel();
      throw new Error(`the payload is larger than ${MAX_PAYLOAD_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
