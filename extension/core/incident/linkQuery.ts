// Splitting a reproduce link's query into parameters, in the two forms it arrives in:
// - a link as text (CLI, tests, a pasted link): percent-encoded, application/x-www-form-
//   urlencoded ('+' is a space), each name and value decoded once;
// - a VS Code Uri (the URI handler): VS Code has already percent-decoded the whole query
//   (microsoft/vscode#173687), so values are not decoded again. An encoded '&' has become a
//   separator by then and cannot be told apart, so data that may hold '&' (request bodies)
//   belongs in a payload file; '+' is kept, except in the title, where it is a space written
//   by Go's urlquery (Alertmanager and Grafana templates).
import { quote } from './values';

export interface QueryParam { name: string; value: string }

export function splitQuery(query: string, decoded: boolean): { params: QueryParam[]; errors: string[] } {
  const params: QueryParam[] = [];
  const errors: string[] = [];
  for (const part of query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    if (decoded) {
      params.push({ name: rawName, value: rawName === 'title' ? rawValue.replace(/\+/g, ' ') : rawValue });
      continue;
    }
    const name = decodeFormComponent(rawName);
    const value = decodeFormComponent(rawValue);
    if (name === undefined) { errors.push(`parameter ${quote(rawName, 40)}: malformed percent-encoding in its name; expected %XX escapes of UTF-8 bytes`); continue; }
    if (value === undefined) { errors.push(`${name}: malformed percent-encoding (a "%" not followed by two hex digits, or bytes that are not UTF-8); encode the value with encodeURIComponent or urlquery`); continue; }
    params.push({ name, value });
  }
  return { params, errors };
}

function decodeFormComponent(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
