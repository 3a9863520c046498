// A model back to repro.yaml text: keys in the reference's order, multi-line commands as block
// scalars, and the import's findings as a comment header so nothing is lost silently.
import { Document } from 'yaml';
import type { Manifest } from '../schema';

export function manifestToYaml(m: Manifest, header: readonly string[] = []): string {
  const doc = new Document(m, { keepUndefined: false });
  if (header.length) doc.commentBefore = header.map((h) => ` ${h.replace(/\r?\n/g, ' ')}`).join('\n');
  return doc.toString({ lineWidth: 0, blockQuote: 'literal' });
}
