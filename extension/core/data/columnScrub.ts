// One column's strategy as a function from the original text value (null for NULL) to the
// clone's. The same function serves COPY rows and INSERT values, which is why both dump
// formats scrub identically. Type checks happen before (sqlTypes.strategyProblem); what
// remains to fail here is a value its own type would not hold, reported without the value.
import { fakeValue } from './fake';
import { hashValue, redactValue } from './hash';
import { maskDigits, maskText } from './mask';
import type { SqlType } from './sqlTypes';
import type { Strategy } from './types';

export type ValueScrubber = (value: string | null) => string | null;

/** Cuts to varchar(n) / char(n), counting characters as PostgreSQL does. */
function fitter(type: SqlType): (s: string) => string {
  const n = type.maxLength;
  if (n === undefined) return (s) => s;
  return (s) => (s.length <= n ? s : [...s].length <= n ? s : [...s].slice(0, n).join(''));
}

export function columnScrubber(strategy: Strategy, type: SqlType, key: Buffer): ValueScrubber {
  const fit = fitter(type);
  switch (strategy.kind) {
    case 'keep':
      return (v) => v;
    case 'null':
      return () => null;
    case 'redact': {
      const r = redactValue(type);
      return (v) => (v === null ? null : r);
    }
    case 'hash':
      return (v) => (v === null ? null : hashValue(key, v, type));
    case 'mask':
      // Numbers keep their sign, point and exponent: only digits change (NaN stays NaN).
      return type.cls === 'numeric' ? (v) => (v === null ? null : maskDigits(key, v)) : (v) => (v === null ? null : maskText(key, v));
    case 'fake': {
      const opts = { cidr: type.cidr === true };
      return (v) => (v === null ? null : fit(fakeValue(strategy.fake, key, v, opts)));
    }
  }
}
