// devcontainer.json (JSON with comments) that points at compose files: the compose services
// become the model, and the dev container's own service is the app.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { importCompose } from './compose';
import { isRecord, type Findings, type Locate } from './types';
import type { Mapped } from './upsun';

export const DEVCONTAINER = path.join('.devcontainer', 'devcontainer.json');

export function importDevcontainer(f: Findings, dir: string, file: string): { mapped?: Mapped; files: string[] } {
  const text = fs.readFileSync(file, 'utf8');
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const lineOf = (offset: number) => {
    const before = text.slice(0, offset).split('\n');
    return { line: before.length, column: before[before.length - 1]!.length + 1 };
  };
  const locate: Locate = (segs) => {
    const n: Node | undefined = tree && findNodeAtLocation(tree, [...segs]);
    return n ? lineOf(n.parent?.type === 'property' ? n.parent.offset : n.offset) : { line: 1, column: 1 };
  };
  if (errors.length || !tree) {
    const e = errors[0];
    f.error(file, () => (e ? lineOf(e.offset) : { line: 1, column: 1 }), [], 'json-syntax', `not valid JSON: ${e ? printParseErrorCode(e.error) : 'empty file'}`, 'Check the commas and brackets around this position.');
    return { files: [file] };
  }
  const data: unknown = nodeValue(tree);
  if (!isRecord(data)) {
    f.error(file, locate, [], 'not-a-mapping', 'devcontainer.json is not a JSON object');
    return { files: [file] };
  }
  const refs = typeof data.dockerComposeFile === 'string' ? [data.dockerComposeFile] : Array.isArray(data.dockerComposeFile) ? data.dockerComposeFile.filter((x): x is string => typeof x === 'string') : [];
  if (!refs.length) {
    f.error(file, locate, [], 'no-compose', 'this devcontainer.json defines a single container (no "dockerComposeFile"), so it names no services to import',
      'Create repro.yaml with "Repro: Create repro.yaml" and declare the app and its services there.');
    return { files: [file] };
  }
  const composeFiles: string[] = [];
  refs.forEach((r, i) => {
    const abs = path.resolve(path.dirname(file), r);
    const segs = typeof data.dockerComposeFile === 'string' ? ['dockerComposeFile'] : ['dockerComposeFile', i];
    if (path.relative(dir, abs).startsWith('..')) {
      f.error(file, locate, segs, 'outside-project', `the compose file "${r}" is outside the project folder`, 'Repro imports only files inside the project; copy the compose file into it.');
    } else if (fs.existsSync(abs)) composeFiles.push(abs);
    else f.error(file, locate, segs, 'missing-compose',
      `the compose file "${r}" named in dockerComposeFile does not exist (looked for ${abs})`, 'Fix the path (it is relative to devcontainer.json) or remove the entry.');
  });
  const devService = typeof data.service === 'string' ? data.service : undefined;
  for (const k of ['forwardPorts', 'features', 'postCreateCommand', 'postStartCommand', 'runServices']) {
    if (k in data) f.warn(file, locate, [k], 'not-carried-over', `"${k}" is not carried over (a reproduction publishes ports and runs commands from repro.yaml)`);
  }
  const mapped = importCompose(f, composeFiles, { projectDir: dir, ...(devService ? { devService } : {}) });
  return { files: [file, ...composeFiles], ...(mapped ? { mapped } : {}) };
}

/** jsonc-parser's getNodeValue, kept local to avoid a second walk of the text. */
function nodeValue(n: Node): unknown {
  switch (n.type) {
    case 'object': return Object.fromEntries((n.children ?? []).map((p) => [String(p.children![0]!.value), p.children![1] ? nodeValue(p.children![1]) : undefined]));
    case 'array': return (n.children ?? []).map(nodeValue);
    default: return n.value;
  }
}
