// A session's merged log on the real engine: lines from two containers of one session, the
// other containers on the engine left out, a restarted container read again without repeating
// what was read, a container that starts later followed too, and stopping releases everything.
// Needs the engine and the busybox image of scripts/provision/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import { SessionLogStream } from '../../extension/core/logs/sessionLogStream';
import type { SessionLogLine } from '../../extension/core/logs/logLine';
import { connectEngine } from '../../extension/core/stack/engineConnection';
import { LABEL } from '../../extension/core/stack/labels';
import { removeSession } from '../../extension/core/stack/teardown';

const RUN = `it-logs-${process.pid}-${Date.now().toString(36)}`;
const OTHER = `${RUN}-other`;
let docker: Docker;

/** A busybox container of `session` that says it booted, then ticks every 100 ms. */
async function ticker(session: string, service: string, role = 'service'): Promise<Docker.Container> {
  const c = await docker.createContainer({
    Image: 'busybox:latest',
    name: `${session}-${service}`,
    Cmd: ['sh', '-c', `echo "${service} boot"; i=0; while true; do echo "${service} tick $i"; i=$((i+1)); sleep 0.1; done`],
    Labels: { [LABEL.session]: session, [LABEL.project]: 'it-logs', [LABEL.service]: service, [LABEL.role]: role },
    StopSignal: 'SIGKILL',
  });
  await c.start();
  return c;
}

async function until(what: string, ok: () => boolean, ms = 15000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  ({ docker } = await connectEngine({}));
  await docker.getImage('busybox:latest').inspect().catch(() => { throw new Error('image busybox:latest is missing: run "bash scripts/provision/images.sh"'); });
});

after(async () => {
  await removeSession(docker, RUN, { graceSeconds: 0 });
  await removeSession(docker, OTHER, { graceSeconds: 0 });
});

test('a session\'s stream merges two containers, survives a restart without repeating lines, and follows a container that starts later', async () => {
  await ticker(RUN, 'web', 'app');
  const db = await ticker(RUN, 'db');
  await ticker(RUN, 'edge', 'gateway');
  await ticker(OTHER, 'intruder');
  const batches: number[] = [];
  const stream = new SessionLogStream(docker, RUN, { batchMs: 50, onLines: () => batches.push(stream.buffer.end) });
  const all = (): SessionLogLine[] => stream.buffer.slice(0);
  const texts = (service: string) => all().filter((l) => l.service === service).map((l) => l.text);
  try {
    await new Promise((r) => setTimeout(r, 800)); // some history in both
    assert.equal(await stream.start(), 2, 'web and db, not the gateway');
    // Their histories come as one batch merged by time, not one container after the other.
    const history = all();
    assert.ok(new Set(history.map((l) => l.service)).size === 2, `history of both: ${history.map((l) => l.service).join(' ')}`);
    assert.deepEqual(history.map((l) => l.time), history.map((l) => l.time).sort((a, b) => a - b), 'the histories interleaved by time');
    await until('ticks from web and db', () => texts('web').length >= 5 && texts('db').length >= 5);
    assert.equal(texts('web')[0], 'web boot');
    assert.equal(texts('db')[0], 'db boot');
    assert.deepEqual(all().filter((l) => !['web', 'db'].includes(l.service)), [], 'neither the gateway nor another session\'s container');
    assert.deepEqual(stream.services().map((s) => `${s.service} ${s.role} ${s.state}`), ['web app following', 'db service following']);

    // Restart db: its stream ends, and the new run is read from where the last one stopped.
    await db.restart({ t: 0 });
    await until('db booting a second time', () => texts('db').filter((t) => t === 'db boot').length === 2);
    await until('ticks after the restart', () => texts('db').slice(texts('db').lastIndexOf('db boot')).length >= 4);
    const dbTicks = texts('db').filter((t) => t.startsWith('db tick '));
    const firstRun = dbTicks.slice(0, dbTicks.indexOf('db tick 0', 1));
    assert.equal(new Set(firstRun).size, firstRun.length, 'no line of the first run is read twice');
    assert.deepEqual(firstRun.map((t) => Number(t.split(' ')[2])), firstRun.map((_, i) => i), 'the first run\'s ticks in order, none missing');

    // A container of the session that starts now is followed too.
    await ticker(RUN, 'worker');
    await until('lines from the late worker', () => texts('worker').length >= 3);
    assert.equal(texts('worker')[0], 'worker boot');

    // Lines are merged in time order within each batch, and batches are far fewer than lines.
    const times = all().map((l) => l.time);
    assert.ok(batches.length < all().length / 2, `${batches.length} batches for ${all().length} lines`);
    assert.ok(times.every((t) => Number.isFinite(t) && t > Date.now() - 120_000));
  } finally {
    stream.dispose();
  }
  const received = stream.received;
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(stream.received, received, 'nothing is read after dispose');
});
