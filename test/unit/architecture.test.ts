import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { COMMANDS } from '../../extension/ui/commandIds';
import { ManifestSchema } from '../../extension/core/manifest/schema';
import { ROOT } from './helpers';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('nothing under extension/core imports vscode (the CLI and plain tests use it unchanged)', () => {
  const offenders = filesUnder(path.join(ROOT, 'extension/core')).filter((f) =>
    /(?:from\s+|require\(\s*|import\(\s*)['"]vscode['"]/.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(offenders.map((f) => path.relative(ROOT, f)), []);
});

test('every command in package.json is registered, and every registered command is in package.json', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { commands: { command: string }[]; menus: Record<string, { command: string }[]> } };
  const declared: string[] = pkg.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(declared, [...Object.values(COMMANDS)].sort() as string[]);
  const source = ['commands.ts', 'sessionCommands.ts', 'reproduceCommands.ts', 'coverageCommands.ts', 'incidentCommands.ts', 'sessionPanelCommands.ts'].map((f) => fs.readFileSync(path.join(ROOT, 'extension/ui', f), 'utf8')).join('\n');
  for (const key of Object.keys(COMMANDS)) assert.match(source, new RegExp(`\\b${key}:`), `no handler for ${key}`);
  for (const [menu, items] of Object.entries(pkg.contributes.menus)) {
    for (const item of items) assert.ok(declared.includes(item.command), `${menu} names undeclared ${item.command}`);
  }
});

test('media/repro.schema.json is the schema the loader validates with (run "npm run schema" to update)', () => {
  const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'media/repro.schema.json'), 'utf8')) as Record<string, unknown>;
  delete committed.$schema;
  assert.deepEqual(committed, JSON.parse(JSON.stringify(ManifestSchema)));
});

test('activation is lazy: no "*" or onStartupFinished activation event', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { activationEvents: string[] };
  assert.ok(!pkg.activationEvents.includes('*'));
  assert.ok(!pkg.activationEvents.includes('onStartupFinished'));
  assert.ok(pkg.activationEvents.includes('workspaceContains:repro.yaml'));
  assert.ok(pkg.activationEvents.includes('onUri'));
});
