// What makes a column look personal, for the coverage gate: its name (tokens such as email,
// phone, first_name, birth_date, iban, password, with qualifiers and suffixes such as
// customer_email_address or ip_addr), or its sampled values (email addresses anywhere in the
// text, card numbers that pass Luhn, IBANs whose checksum holds, JWTs, values that are phone
// numbers or IP addresses). Each match comes with the strategy to suggest, adjusted to what
// the column's type allows. The gate errs on the side of asking: a false alarm costs one
// acknowledgement in repro.yaml, a miss leaks data into every clone.
import { isIP } from 'node:net';
import { parseStrategy } from './rules';
import { strategyProblem, type SqlType } from './sqlTypes';

export interface PersonalMatch {
  /** What the column seems to hold, e.g. "an email address". */
  what: string;
  /** The strategy to suggest, valid for the column's type. */
  suggestion: string;
}

// Trailing tokens that do not change what a column holds: email_address, phone_number, tax_id...
const SUFFIX = '(?:_(?:address|addr|number|num|no|nr|id|code|line_?\\d*|\\d+|hash|hashed|digest|enc|encrypted|cipher|ciphertext|raw|normali[sz]ed|e164|text|value|primary|secondary|alt|alternate|old|new|current|prev|previous|lower|lc|canonical|full|plain|masked|last4))*';

const PERSON = 'first|last|full|display|given|family|middle|maiden|nick|user|sur|fore|real|legal|contact|customer|person|holder|card_?holder|account_?holder|recipient|sender|billing|shipping|owner|member|patient|employee|client|author|signer|guardian|parent|spouse|emergency_?contact|beneficiary|buyer|seller|driver|passenger|guest|student|teacher|doctor|applicant|subscriber';

type Nullable = boolean | undefined;

const NAME_RULES: readonly { what: string; re: RegExp; suggest(notNull: Nullable): string; dates?: true }[] = [
  { what: 'an email address', re: rule('e_?mail|mail'), suggest: () => 'fake:email' },
  { what: 'a password, token or secret', re: rule('password|passwd|pwd|pass_?hash|secret|secret_?key|api_?key|apikey|access_?key|private_?key|token|access_?token|refresh_?token|auth_?token|session_?token|otp|otp_?secret|totp_?secret|mfa_?secret|salt'), suggest: (nn) => (nn ? 'redact' : 'null') },
  { what: 'a payment card number', re: rule('card|card_?number|cc|cc_?number|credit_?card|pan|cvv|cvc|card_?cvc|card_?expiry'), suggest: (nn) => (nn ? 'mask' : 'null') },
  { what: 'a bank account', re: rule('iban|bic|swift|account_?number|routing_?number|sort_?code|bank_?account'), suggest: () => 'mask' },
  { what: 'a national or tax identifier', re: rule('ssn|social_?security|national_?id|nin|tax_?id|taxid|tin|vat_?id|passport|driver_?licen[cs]e|id_?card|identity_?card|personal_?id|nif|nie|cpf|aadhaar|personnummer'), suggest: () => 'mask' },
  { what: 'a date of birth', re: rule('birth_?date|date_?of_?birth|dob|birthday|birth_?day|birth|born_?on|born_?at'), suggest: () => 'hash', dates: true },
  { what: 'an IP address', re: rule('ip|ip_?addr|ipaddr|ipv4|ipv6|remote_?addr|remote_?ip|client_?ip|last_?ip|signup_?ip|last_?login_?ip|(?:current|last)_?sign_?in_?ip'), suggest: () => 'fake:ip' },
  { what: 'a phone number', re: rule('phone|telephone|tel|mobile|mobile_?phone|cell|cell_?phone|cellphone|fax|msisdn|whatsapp'), suggest: () => 'fake:phone' },
  { what: 'a postal address', re: rule('address|street|street_?address|addr|address_?line|house_?number'), suggest: () => 'mask' },
  { what: 'a postcode', re: rule('zip|zip_?code|zipcode|postal_?code|postcode|post_?code'), suggest: () => 'mask' },
  { what: 'a city', re: rule('city|town'), suggest: () => 'fake:city' },
  { what: 'a geolocation', re: rule('lat|lng|lon|latitude|longitude|geolocation|coordinates|geo_?point'), suggest: (nn) => (nn ? 'mask' : 'null') },
  { what: "a person's name", re: new RegExp(`^(?:.*_)?(?:${PERSON})_?name${SUFFIX}$|^names?$|^(?:sur|fore|nick|user)names?$`), suggest: () => 'fake:name' },
];

function rule(nouns: string): RegExp {
  return new RegExp(`(?:^|_)(?:${nouns})${SUFFIX}$`);
}

/** The name-based match for a column, if any. */
export function personalByName(column: string, type: SqlType, notNull: Nullable): PersonalMatch | undefined {
  if (type.cls === 'boolean') return undefined; // email_verified, has_phone: flags, not data
  const name = column.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  const dates = type.cls === 'date' || type.cls === 'timestamp' || type.cls === 'time';
  for (const r of NAME_RULES) {
    if (dates && !r.dates) continue; // email_confirmed_at, phone_verified_on
    if (!r.re.test(name)) continue;
    let suggestion = r.suggest(notNull);
    if (r.what === "a person's name") {
      if (/(?:^|_)(?:first|given|fore)_?names?$/.test(name)) suggestion = 'fake:first_name';
      else if (/(?:^|_)(?:last|family|sur|maiden)_?names?$/.test(name)) suggestion = 'fake:last_name';
      else if (/(?:^|_)(?:display|nick|user)_?names?$/.test(name)) suggestion = 'mask';
    }
    return { what: r.what, suggestion: fitSuggestion(suggestion, type, notNull) };
  }
  return undefined;
}

/** The suggestion if the type allows it, else the first strategy that it allows. */
export function fitSuggestion(suggestion: string, type: SqlType, notNull: Nullable): string {
  for (const s of [suggestion, 'hash', 'mask', 'redact', 'null']) {
    if (!strategyProblem(parseStrategy(s), type, notNull)) return s;
  }
  return 'keep';
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
const EMAIL_ONLY = new RegExp(`^\\s*${EMAIL.source}\\s*$`);
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const CARD = /(?:\d[ -]?){12,18}\d/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;
const PHONE = /^\s*\+?[\d\s().\-/]{6,24}\s*$/;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1 && (d *= 2) > 9) d -= 9;
    sum += d;
  }
  return sum % 10 === 0;
}

function hasCard(v: string): boolean {
  for (const m of v.matchAll(CARD)) {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length >= 13 && digits.length <= 19 && /^(?:4|5[1-5]|2[2-7]|3[47]|6(?:011|5))/.test(digits) && luhn(digits)) return true;
  }
  return false;
}

function hasIban(v: string): boolean {
  for (const m of v.matchAll(IBAN)) {
    const iban = m[0].replace(/ /g, '');
    if (iban.length < 15 || iban.length > 34) continue;
    const moved = iban.slice(4) + iban.slice(0, 4);
    let rest = 0;
    for (const ch of moved) {
      const n = ch >= 'A' ? ch.charCodeAt(0) - 55 : Number(ch);
      rest = Number(`${rest}${n}`) % 97;
    }
    if (rest === 1) return true;
  }
  return false;
}

function isPhone(v: string): boolean {
  if (!PHONE.test(v)) return false;
  const digits = v.replace(/\D/g, '').length;
  if (digits < 7 || digits > 15) return false;
  if (/^\s*\d{4}-\d{1,2}-\d{1,2}|^\s*\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\s*$/.test(v)) return false; // dates
  if (isIP(v.trim()) !== 0) return false;
  return /^\s*\+/.test(v) || /\d[\s().-]+\d/.test(v); // an international prefix or grouped digits
}

/** Tallies a column's sampled values; the verdict names counts, never values. */
export class ValueStats {
  sampled = 0;
  private email = 0;
  private emailOnly = 0;
  private card = 0;
  private iban = 0;
  private jwt = 0;
  private phone = 0;
  private ip = 0;

  add(value: string): void {
    const v = value.length > 4096 ? value.slice(0, 4096) : value;
    this.sampled++;
    if (v.includes('@') && EMAIL.test(v)) {
      this.email++;
      if (EMAIL_ONLY.test(v)) this.emailOnly++;
    }
    if (/\d{4}/.test(v) && hasCard(v)) this.card++;
    if (/[A-Z]{2}\d{2}/.test(v) && hasIban(v)) this.iban++;
    if (v.includes('eyJ') && JWT.test(v)) this.jwt++;
    if (isPhone(v)) this.phone++;
    if ((v.includes('.') || v.includes(':')) && isIP(v.trim().replace(/\/\d{1,3}$/, '')) !== 0) this.ip++;
  }

  verdict(type: SqlType, notNull: Nullable): (PersonalMatch & { count: number }) | undefined {
    const most = (k: number) => k > 0 && k * 2 >= this.sampled;
    const found = (what: string, count: number, suggestion: string) => ({ what, count, suggestion: fitSuggestion(suggestion, type, notNull) });
    if (this.email > 0) return found('email addresses', this.email, most(this.emailOnly) ? 'fake:email' : 'mask');
    if (this.card > 0) return found('payment card numbers (Luhn-valid)', this.card, notNull ? 'mask' : 'null');
    if (this.iban > 0) return found('IBANs (valid checksum)', this.iban, 'mask');
    if (this.jwt > 0) return found('JSON web tokens', this.jwt, notNull ? 'redact' : 'null');
    if (most(this.ip)) return found('IP addresses', this.ip, 'fake:ip');
    if (most(this.phone)) return found('phone numbers', this.phone, 'fake:phone');
    return undefined;
  }
}
