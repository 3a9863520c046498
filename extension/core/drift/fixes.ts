// Fixes for drift, as edits of repro.yaml that keep the rest of the file as written: a service's
// type or an app's runtime set to the version an environment really runs.
import { isScalar, parseDocument } from 'yaml';
import { splitTypeVersion } from '../manifest/versions';
import type { Row } from './model';

/** The repro.yaml key a row's version is declared at, or undefined when the row has none. */
export function declaredAt(row: Pick<Row, 'subject' | 'attribute'>): string[] | undefined {
  if (row.attribute !== 'version') return undefined;
  const [what, name] = row.subject.split(' ');
  if (!name) return undefined;
  if (what === 'service') return ['services', name, 'type'];
  if (what === 'app') return ['apps', name, 'runtime'];
  return undefined;
}

/** repro.yaml with the version at `keyPath` ("postgresql:15" -> "postgresql:15.4"), quoting kept. */
export function setDeclaredVersion(text: string, keyPath: string[], version: string): string {
  if (!/^[0-9][A-Za-z0-9._-]{0,63}$/.test(version)) throw new Error(`"${version}" is not a version repro.yaml can hold`);
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`repro.yaml does not parse (${doc.errors[0]!.message.split('\n')[0]}); fix it first`);
  const node = doc.getIn(keyPath, true);
  if (!isScalar(node) || typeof node.value !== 'string') throw new Error(`repro.yaml has no ${keyPath.join('.')}`);
  node.value = `${splitTypeVersion(node.value).type}:${version}`;
  return doc.toString();
}

/**
 * Every declared version set to the reference's: for the rows where repro.yaml drifts, or (exact)
 * wherever it is written differently ("15" for "15.4"), so a new session pins what runs there.
 */
export function alignVersions(text: string, rows: readonly Row[], exact = false): { text: string; changed: string[] } {
  let out = text;
  const changed: string[] = [];
  for (const row of rows) {
    const at = declaredAt(row);
    if (!at || row.reference === undefined) continue;
    const mine = row.cells.find((c) => c.side === 'manifest');
    if (!mine || mine.value === undefined || (exact ? mine.value === row.reference : mine.state !== 'drift')) continue;
    out = setDeclaredVersion(out, at, row.reference);
    changed.push(`${at.join('.')}: ${row.reference}`);
  }
  return { text: out, changed };
}
