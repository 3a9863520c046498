// Which sessions Repro offers to remove as left over (at start-up and preselected in Remove
// Left-over Sessions): one a crash or a closed window left, never one being started now.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLeftOver, STARTING_GRACE_MS, type SessionSummary } from '../../extension/core/stack/teardown';

const NOW = Date.parse('2026-12-04T10:00:00Z');
function session(states: string[], ageMs: number, name = 'shop-inc-1'): SessionSummary {
  return {
    session: name, project: 'shop', created: NOW - ageMs,
    containers: states.map((state, i) => ({ id: `c${i}`, name: `c${i}`, service: `s${i}`, role: 'service', image: 'postgres:15', state, status: '', health: 'starting', ports: [] })),
  };
}

test('a stopped container makes a session left over at any age; all running never does', () => {
  assert.equal(isLeftOver(session(['running', 'exited'], 5_000), undefined, NOW), true);
  assert.equal(isLeftOver(session(['dead'], 5_000), undefined, NOW), true);
  assert.equal(isLeftOver(session(['running', 'running'], 3 * STARTING_GRACE_MS), undefined, NOW), false);
});

test('containers created and not yet started, or no container yet, are a start under way until the grace has passed', () => {
  // A reproduction cloning data before its apps start: the app is "created" for minutes.
  assert.equal(isLeftOver(session(['running', 'created'], 60_000), undefined, NOW), false);
  assert.equal(isLeftOver(session([], 30_000), undefined, NOW), false, 'networks and volumes first, while images are pulled');
  assert.equal(isLeftOver(session(['running', 'created'], STARTING_GRACE_MS + 1), undefined, NOW), true);
  assert.equal(isLeftOver(session([], STARTING_GRACE_MS + 1), undefined, NOW), true);
});

test('a session this window is starting or reproducing is never left over, whatever its state', () => {
  const busy = (n: string) => n === 'shop-inc-1';
  assert.equal(isLeftOver(session(['exited', 'created'], 3 * STARTING_GRACE_MS), busy, NOW), false);
  assert.equal(isLeftOver(session(['exited'], 1_000, 'other'), busy, NOW), true);
});
