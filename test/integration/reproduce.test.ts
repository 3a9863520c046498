// A whole reproduction on real parts: the sample shop's git repository built by
// make-sample-repo.sh (the developer's clone, left dirty on purpose), a reproduce link as an
// alert would carry it, `repro reproduce` run through the CLI's own entry point, the stack on
// the real engine, and `repro down`. What a user checks: the app of the incident's release
// answers on its published port, the receipt names the commit, images and steps and maps the
// alert's frames onto the worktree, the developer's clone is byte-for-byte unchanged, and
// after `down` (or a refusal, a failure, a cancel) nothing is left: no container, network or
// volume on the engine, no worktree in the clone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { main } from '../../extension/cli';
import type { Io } from '../../extension/cli/output';
import { pgTarget, psqlRows } from '../../extension/core/data/pg';
import { openRepository } from '../../extension/core/git/repository';
import { endSession } from '../../extension/core/session/lifecycle';
import { readReceipt, type Receipt } from '../../extension/core/session/receipt';
import { ReproduceCancelledError, ReproduceStepError } from '../../extension/core/session/reproduce';
import { runReproduction } from '../../extension/core/session/run';
import { sessionDir } from '../../extension/core/session/storage';
import { connectEngine, selfHealthCheck as selfCheckOf } from '../../extension/core/stack/engineConnection';
import { leftovers, removeSession } from '../../extension/core/stack/teardown';
import { tempDir } from '../unit/helpers';
import { git, snapshot } from './gitSnapshot';
import { removeEngineCopies } from '../../extension/core/data/engineCopy';

process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';

const ROOT = path.resolve(__dirname, '../../..');
const TMP = tempDir('repro-reproduce-');
const HOME = path.join(TMP, 'home');
const REMOTE = 'https://github.com/reprokit/sample-shop.git';
let CLONE = '';
let RELEASE = '';
let docker: Docker;
/** As the extension and the CLI do: on Podman (no health checks run by the engine) up() runs them. */
let selfHealthCheck = false;
const sessions = new Set<string>();

function link(params: Record<string, string>): string {
  return `vscode://reprokit.repro/reproduce?${new URLSearchParams(params).toString()}`;
}

async function repro(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (s) => out.push(s), err: (s) => err.push(s), cwd: CLONE };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** What the engine and the clone still hold of a session: it must be nothing. */
async function assertNothingLeft(session: string): Promise<void> {
  assert.deepEqual(await leftovers(docker, session), { containers: 0, networks: 0, volumes: 0 }, `session ${session} left something on the engine`);
  const listed = git(CLONE, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree '));
  assert.deepEqual(listed, [`worktree ${CLONE}`], 'a worktree is left in the clone');
  const wts = fs.existsSync(path.join(HOME, 'repos')) ? fs.readdirSync(path.join(HOME, 'repos')).flatMap((r) => {
    const d = path.join(HOME, 'repos', r, 'worktrees');
    return fs.existsSync(d) ? fs.readdirSync(d) : [];
  }) : [];
  assert.deepEqual(wts, [], 'a worktree folder is left in Repro\'s storage');
}

before(async () => {
  process.env.REPRO_HOME = HOME;
  CLONE = path.join(TMP, 'shop');
  RELEASE = execFileSync('bash', [path.join(ROOT, 'test/fixtures/make-sample-repo.sh'), CLONE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  // The developer is in the middle of something: a changed file, a staged one, an untracked one.
  fs.appendFileSync(path.join(CLONE, 'server.js'), '\n// work in progress\n');
  fs.writeFileSync(path.join(CLONE, 'NOTES.md'), 'untracked notes\n');
  fs.appendFileSync(path.join(CLONE, 'README.md'), '\nstaged line\n');
  git(CLONE, 'add', 'README.md');
  // A local "upstream" to fetch from (origin is GitHub and is never contacted).
  const bare = path.join(TMP, 'upstream.git');
  git(TMP, 'clone', '--quiet', '--bare', CLONE, bare);
  git(CLONE, 'remote', 'add', 'upstream', bare);
  const conn = await connectEngine();
  docker = conn.docker;
  selfHealthCheck = selfCheckOf(conn);
});

after(async () => {
  for (const s of sessions) await removeSession(docker, s, { graceSeconds: 0 }).catch(() => undefined);
  await removeEngineCopies(docker, HOME).catch(() => undefined); // they outlive sessions
  fs.rmSync(TMP, { recursive: true, force: true });
});

describe('repro reproduce, from a link to a running reproduction and back', () => {
  test('the release of the incident runs, the receipt says what ran, and down leaves nothing', async () => {
    const before = snapshot(CLONE);
    const session = 'shop-inc-137';
    sessions.add(session);
    const r = await repro('reproduce', link({
      incident: 'INC-137', release: 'v1.4.0', env: 'production', service: 'web', repo: REMOTE,
      frames: '/app/src/badge.js:40:21;/app/server.js:57:15;node:internal/process/task_queues:95:5',
      method: 'GET', path: '/customers/137/badge',
    }), '--yes', '--dir', CLONE);
    assert.equal(r.code, 0, r.err);
    // The confirmation text names the commit, the containers, the data and where files go.
    assert.match(r.err, /Reproduce incident INC-137\?/);
    assert.match(r.err, /Commit: the one tagged v1\.4\.0/);
    assert.match(r.err, /Containers: db \(postgres:15\.6\), cache \(redis:7\.2\), web \(node:20\)/);
    assert.match(r.err, /Data: db from the dump data\/production\.sql/);
    // The coverage gate ran while the stack started, and the clone did not read the dump for it again.
    assert.match(r.err, /db: the rules cover the dump data\/production\.sql \(3 tables scanned in \d+\.\d\d s\)/);
    assert.match(r.err, /db: the rules cover the dump data\/production\.sql \(checked before the clone\)/);
    // The dump was scrubbed while the stack started, and the clone restored what it wrote.
    assert.match(r.err, /db: scrubbing the dump while the stack starts/);
    assert.match(r.err, /db: restoring the dump data\/production\.sql, scrubbed ahead since the session's start/);
    assert.ok(r.err.indexOf('db: public.customers: ') < r.err.indexOf('db: restoring the dump'), 'the tables were not scrubbed before the restore');
    assert.deepEqual(fs.readdirSync(path.join(HOME, 'data')).filter((n) => n.endsWith('.tmp')), [], 'a temporary file of the scrub ahead was left');
    assert.match(r.err, new RegExp(`Worktree: ${HOME.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/repos/shop-[0-9a-f]{12}/worktrees/`));

    const receipt = readReceipt(sessionDir(HOME, session)) as Receipt;
    assert.ok(receipt, 'no receipt.json');
    assert.equal(receipt.commit, RELEASE);
    assert.equal(receipt.release, 'v1.4.0');
    assert.equal(receipt.repository, REMOTE);
    assert.equal(receipt.clone, CLONE);
    assert.deepEqual(receipt.steps.map((s) => `${s.step}:${s.status}`), ['resolve:done', 'worktree:done', 'manifest:done', 'stack:done', 'data:done', 'ready:done']);
    // The release's data/production.sql, scrubbed by its rules, is in db: the receipt names both.
    assert.match(receipt.data?.snapshot ?? '', /^[0-9a-f]{64}$/);
    assert.match(receipt.data?.rules ?? '', /^[0-9a-f]{64}$/);
    // The release's own repro.yaml was used (HEAD pins 15.6 and 7.2; v1.4.0 says 15 and 7).
    assert.deepEqual(receipt.images.map((i) => `${i.entry} ${i.ref}`).sort(), ['cache redis:7', 'db postgres:15', 'gateway busybox:1.36.1', 'web node:20']);
    assert.ok(receipt.images.every((i) => /^sha256:[0-9a-f]{64}$/.test(i.id)));
    assert.match(receipt.manifest.sha256, /^[0-9a-f]{64}$/);
    assert.equal(receipt.frames?.[0]?.path, 'src/badge.js');
    assert.equal(receipt.frames?.[0]?.line, 40);
    assert.equal(receipt.frames?.[1]?.path, 'server.js');
    assert.equal(receipt.frames?.[2]?.path, undefined, 'a Node internal frame maps to no file');
    assert.ok(receipt.totalMs > 0 && receipt.totalMs >= receipt.steps.reduce((a, s) => a + s.ms, 0) - 5);
    const md = fs.readFileSync(path.join(sessionDir(HOME, session), 'receipt.md'), 'utf8');
    assert.match(md, new RegExp(`Commit: \`${RELEASE}\` \\(release v1\\.4\\.0\\)`));
    assert.match(md, /to reproduce/);

    // The worktree is the release, detached; the app of that release answers.
    assert.equal(git(receipt.worktree, 'rev-parse', 'HEAD').trim(), RELEASE);
    assert.equal(git(receipt.worktree, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), 'HEAD');
    const web = receipt.published.find((p) => p.entry === 'web' && p.name === 'http');
    assert.ok(web, 'the app is not published');
    const health = await get(`${web.url}health`);
    assert.equal(health.status, 200, health.body);
    // On the cloned, scrubbed data the incident's request fails as it did in production.
    assert.equal((await get(`${web.url}customers/137/badge`)).status, 500);
    assert.equal((await get(`${web.url}customers/42/badge`)).status, 200);
    assert.deepEqual(snapshot(CLONE), before, 'the developer\'s clone changed during the reproduction');

    // `repro sessions` and `repro receipt` show it.
    const list = await repro('sessions');
    assert.match(list.out, /shop-inc-137\s+running\s+incident INC-137/);
    const shown = await repro('receipt', session);
    assert.equal(shown.code, 0);
    assert.equal(shown.out, md);

    const down = await repro('down', session);
    assert.equal(down.code, 0, down.err);
    assert.match(down.out, /removed session shop-inc-137: 4 container\(s\), 2 network\(s\), 2 volume\(s\), its worktree/);
    await assertNothingLeft(session);
    assert.deepEqual(snapshot(CLONE), before, 'the developer\'s clone changed during the teardown');
    // The receipt stays, for the postmortem, marked as ended.
    assert.match(readReceipt(sessionDir(HOME, session))?.endedAt ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.match((await repro('sessions')).out, /shop-inc-137\s+ended/);
  });

  test('a link for another repository is refused before anything is created', async () => {
    const before = snapshot(CLONE);
    const r = await repro('reproduce', link({ incident: 'INC-9', commit: RELEASE, repo: 'git@github.com:someone-else/billing.git' }), '--yes', '--dir', CLONE);
    assert.equal(r.code, 1);
    assert.match(r.err, /The incident is for git@github\.com:someone-else\/billing\.git, but .* is a clone of https:\/\/github\.com\/reprokit\/sample-shop\.git/);
    await assertNothingLeft('shop-inc-9');
    assert.equal(fs.existsSync(sessionDir(HOME, 'shop-inc-9')), false);
    assert.deepEqual(snapshot(CLONE), before);
  });

  test('hostile links are refused with the parameter named, and nothing runs', async () => {
    const before = snapshot(CLONE);
    for (const [params, expected] of [
      [{ incident: 'INC-1', release: '--upload-pack=touch /tmp/pwned' }, /release: .* is not a release \(it must start with a letter or digit\)/],
      [{ incident: 'INC-1;rm -rf ~', commit: RELEASE }, /incident: .* is not an incident id/],
      [{ incident: 'INC-1', commit: '$(id)' }, /commit: .* is not a git commit sha/],
      [{ incident: 'INC-1', release: '../../etc/passwd' }, /release: /],
      [{ incident: 'INC-1', commit: RELEASE, title: 'x'.repeat(10 * 1024 * 1024) }, /characters long/],
    ] as const) {
      const r = await repro('reproduce', link(params), '--yes', '--dir', CLONE);
      assert.equal(r.code, 1, `accepted ${JSON.stringify(params).slice(0, 80)}`);
      assert.match(r.err, expected);
    }
    assert.equal(fs.existsSync('/tmp/pwned'), false);
    assert.deepEqual(snapshot(CLONE), before);
  });

  test('a commit that exists nowhere: a clear error, and nothing is left', async () => {
    const before = snapshot(CLONE);
    const missing = 'deadbeef'.repeat(5);
    const r = await repro('reproduce', link({ incident: 'INC-404', commit: missing, repo: REMOTE }), '--yes', '--dir', CLONE, '--remote', 'upstream');
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`${missing}.*upstream`, 's'));
    await assertNothingLeft('shop-inc-404');
    assert.deepEqual(snapshot(CLONE), before);
  });

  test('a commit from before the project had a manifest: the error says so and the worktree is removed', async () => {
    const first = git(CLONE, 'rev-list', '--max-parents=0', 'HEAD').trim();
    const r = await repro('reproduce', link({ incident: 'INC-OLD', commit: first }), '--yes', '--dir', CLONE);
    assert.equal(r.code, 1);
    assert.match(r.err, /manifest at the incident's commit cannot be used/);
    await assertNothingLeft('shop-inc-old');
  });

  test('without --yes and without a terminal, nothing starts', async () => {
    const r = await repro('reproduce', link({ incident: 'INC-2', release: 'v1.4.0' }), '--dir', CLONE);
    assert.equal(r.code, 64);
    assert.match(r.err, /confirm with --yes/);
    await assertNothingLeft('shop-inc-2');
  });

  test('a cancel while the stack starts removes the containers and the worktree', async () => {
    const before = snapshot(CLONE);
    const session = 'shop-cancel';
    sessions.add(session);
    const ac = new AbortController();
    const repo = await openRepository(CLONE);
    const seen: string[] = [];
    await assert.rejects(runReproduction({
      incident: { id: 'INC-C', source: 'link', release: 'v1.4.0' }, repo, docker, selfHealthCheck, home: HOME, session,
      signal: ac.signal,
      onEvent: (e) => {
        seen.push(e.type === 'step' ? `${e.step}:${e.state}` : `${e.step}: ${e.message}`);
        // Once a container is being started, the user presses Cancel.
        if (e.type === 'detail' && /starting/.test(e.message)) ac.abort();
      },
    }), (e: unknown) => e instanceof ReproduceCancelledError && e.step === 'stack');
    assert.ok(seen.includes('worktree:done') && seen.includes('stack:start'), seen.join(', '));
    await assertNothingLeft(session);
    assert.equal(fs.existsSync(path.join(sessionDir(HOME, session), 'receipt.json')), false);
    assert.deepEqual(snapshot(CLONE), before);
  });

  test('a cancel while the dump is scrubbed ahead leaves no cache entry, no temporary file and no session', async () => {
    const session = 'shop-cancel-scrub';
    sessions.add(session);
    const home = path.join(TMP, 'home-cancel-scrub'); // an empty cache: the dump is scrubbed ahead
    const ac = new AbortController();
    const repo = await openRepository(CLONE);
    const seen: string[] = [];
    await assert.rejects(runReproduction({
      incident: { id: 'INC-S', source: 'link', release: 'v1.4.0' }, repo, docker, selfHealthCheck, home, session,
      signal: ac.signal,
      onEvent: (e) => {
        seen.push(e.type === 'step' ? `${e.step}:${e.state}` : `${e.step}: ${e.message}`);
        if (e.type === 'detail' && /scrubbing the dump while the stack starts/.test(e.message)) ac.abort();
      },
    }), (e: unknown) => e instanceof ReproduceCancelledError);
    assert.ok(seen.includes('data: db: scrubbing the dump while the stack starts'), seen.join(', '));
    await assertNothingLeft(session);
    const cache = path.join(home, 'data');
    assert.deepEqual(fs.existsSync(cache) ? fs.readdirSync(cache) : [], [], 'the cancelled scrub left files in the cache');
  });

  test('down removes the worktree (the next reproduction creates it again), but keeps one the developer changed', async () => {
    const session = 'shop-twice';
    sessions.add(session);
    const repo = await openRepository(CLONE);
    const incident = { id: 'INC-T', source: 'link', release: 'v1.4.0' };
    const one = await runReproduction({ incident, repo, docker, selfHealthCheck, home: HOME, session });
    assert.equal(one.receipt.steps.find((s) => s.step === 'worktree')?.note, 'created');
    // Down, then again: the worktree was removed with the session, so it is created again.
    assert.equal((await repro('down', session)).code, 0);
    const two = await runReproduction({ incident, repo, docker, selfHealthCheck, home: HOME, session });
    assert.equal(two.receipt.steps.find((s) => s.step === 'worktree')?.note, 'created');
    // The developer tries a fix in the worktree while debugging: down keeps it, and says why.
    fs.appendFileSync(path.join(two.receipt.worktree, 'src', 'badge.js'), '\n// trying a fix\n');
    const down = await repro('down', session);
    assert.equal(down.code, 0);
    assert.match(down.err, /kept the worktree .*: it has changes \(M src\/badge\.js\).*--discard/);
    assert.ok(fs.existsSync(path.join(two.receipt.worktree, 'src', 'badge.js')));
    // --discard removes it.
    const discard = await repro('down', session, '--discard');
    assert.equal(discard.code, 0, discard.err);
    await assertNothingLeft(session);
  });

  test('reproducing an incident whose session is running refuses, and leaves the running one alone', async () => {
    const session = 'shop-busy';
    sessions.add(session);
    const repo = await openRepository(CLONE);
    const incident = { id: 'INC-B', source: 'link', release: 'v1.4.0' };
    const first = await runReproduction({ incident, repo, docker, selfHealthCheck, home: HOME, session });
    await assert.rejects(runReproduction({ incident, repo, docker, selfHealthCheck, home: HOME, session }),
      (e: unknown) => e instanceof ReproduceStepError && e.step === 'stack' && /already/.test(e.message));
    // The first one still runs, with its worktree (the second reused it and did not remove it).
    const web = first.receipt.published.find((p) => p.entry === 'web' && p.name === 'http')!;
    assert.equal((await get(`${web.url}health`)).status, 200);
    assert.ok(fs.existsSync(first.receipt.worktree));
    assert.equal((await repro('down', session)).code, 0);
    await assertNothingLeft(session);
  });

  test('an alert with no commit: the commit production publishes is reproduced', async () => {
    // A clone whose repro.yaml says production publishes its state at a URL (served here).
    const clone = path.join(TMP, 'shop-state');
    fs.cpSync(CLONE, clone, { recursive: true });
    const server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/state.json' ? JSON.stringify({ environment: 'production', git: { commit: RELEASE } }) : '{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const yamlFile = path.join(clone, 'repro.yaml');
    fs.writeFileSync(yamlFile, fs.readFileSync(yamlFile, 'utf8').replace(/state: \{ url: "[^"]+" \}/, `state: { url: "http://127.0.0.1:${port}/state.json" }`));
    const session = 'shop-state';
    sessions.add(session);
    try {
      const repo = await openRepository(clone);
      const r = await runReproduction({ incident: { id: 'INC-S', source: 'link', environment: 'production' }, repo, docker, selfHealthCheck, home: HOME, session });
      assert.equal(r.receipt.commit, RELEASE);
      assert.match(r.receipt.steps[0]!.note ?? '', /from production's published state \(http:\/\/127\.0\.0\.1:\d+\/state\.json\)/);
      await endSession(docker, session, HOME, { graceSeconds: 0 });
      // Published state that names no commit: a clear error, nothing left.
      fs.writeFileSync(yamlFile, fs.readFileSync(yamlFile, 'utf8').replace('/state.json', '/empty.json'));
      await assert.rejects(runReproduction({ incident: { id: 'INC-S2', source: 'link' }, repo, docker, selfHealthCheck, home: HOME, session: 'shop-state2' }),
        /production's published state at http:\/\/127\.0\.0\.1:\d+\/empty\.json names no commit/);
      assert.deepEqual(await leftovers(docker, 'shop-state2'), { containers: 0, networks: 0, volumes: 0 });
    } finally {
      server.close();
    }
  });

  /** A copy of the clone with a commit on the release whose repro.yaml lacks the email rule; checked out. */
  function uncoveredCommit(name: string): { clone: string; commit: string } {
    const clone = path.join(TMP, name);
    fs.cpSync(CLONE, clone, { recursive: true });
    git(clone, 'stash', '--include-untracked', '--quiet');
    git(clone, 'checkout', '--quiet', '--detach', RELEASE);
    const yamlFile = path.join(clone, 'repro.yaml');
    const yaml = fs.readFileSync(yamlFile, 'utf8');
    fs.writeFileSync(yamlFile, yaml.replace('email: "fake:email", ', ''));
    assert.notEqual(fs.readFileSync(yamlFile, 'utf8'), yaml, 'the release\'s repro.yaml has no email rule to take out');
    git(clone, 'commit', '--quiet', '-am', 'No rule for customers.email');
    return { clone, commit: git(clone, 'rev-parse', 'HEAD').trim() };
  }

  test('rules that leave a personal column uncovered stop the reproduction as its stack starts, saying what to add; nothing is left', async () => {
    // The release with the email rule taken out of its repro.yaml, committed in a copy of the clone.
    const { clone, commit } = uncoveredCommit('shop-uncovered');
    const session = 'shop-uncovered';
    sessions.add(session);
    const seen: string[] = [];
    await assert.rejects(runReproduction({
      incident: { id: 'INC-U', source: 'link', commit }, repo: await openRepository(clone), docker, selfHealthCheck, home: HOME, session,
      onEvent: (e) => { if (e.type === 'step') seen.push(`${e.step}:${e.state}`); },
    }), (e: unknown) => (e instanceof ReproduceStepError && e.step === 'data'
      && /public\.customers\.email \(text\): name: looks like an email address/.test(e.message)
      && /customers: \{ columns: \{ email: "fake:email" \} \}/.test(e.message)
      // The checkout's repro.yaml is the commit's: no other rules to offer.
      && !/rulesFrom|rules-from/.test(e.message)) || assert.fail(String(e)));
    // The gate read the worktree's dump while the stack started, and stopped that start.
    assert.ok(seen.includes('stack:start') && !seen.includes('stack:done') && seen.at(-1) === 'data:failed', seen.join(', '));
    assert.deepEqual(await leftovers(docker, session), { containers: 0, networks: 0, volumes: 0 });
    assert.deepEqual(git(clone, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')), [`worktree ${clone}`]);
  });

  test('an old commit lacking a rule the checkout has: the error offers the checkout\'s rules, and with them (--rules-from workspace) the data is scrubbed', async () => {
    // The incident's commit lacks the email rule; the checkout (the release) has it.
    const { clone, commit } = uncoveredCommit('shop-rules');
    git(clone, 'checkout', '--quiet', '--detach', RELEASE);
    const session = 'shop-rules';
    sessions.add(session);
    const failed = await repro('reproduce', link({ incident: 'INC-R', commit }), '--yes', '--dir', clone, '--name', session);
    assert.notEqual(failed.code, 0);
    assert.match(failed.err, /public\.customers\.email \(text\): name: looks like an email address/);
    assert.match(failed.err, /These rules are repro\.yaml's at the incident's commit\. Your checkout's repro\.yaml has other rules for db: .*--rules-from workspace/);
    assert.deepEqual(await leftovers(docker, session), { containers: 0, networks: 0, volumes: 0 });

    const r = await repro('reproduce', link({ incident: 'INC-R', commit }), '--yes', '--dir', clone, '--name', session, '--rules-from', 'workspace');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /scrub rules of db from your checkout's repro\.yaml/);
    const receipt = readReceipt(sessionDir(HOME, session)) as Receipt;
    assert.equal(receipt.commit, commit, 'the incident\'s commit runs; only the rules are the checkout\'s');
    assert.equal(receipt.data?.rulesFrom, 'workspace');
    assert.match(fs.readFileSync(path.join(sessionDir(HOME, session), 'receipt.md'), 'utf8'), /\(from the checkout's repro\.yaml, not the commit's\)/);
    // No e-mail of the dump reached the clone: the checkout's fake:email rule ran.
    const db = (await docker.listContainers({ filters: { label: [`dev.repro.session=${session}`, 'dev.repro.service=db'] } }))[0];
    assert.ok(db, 'no db container');
    const target = await pgTarget(docker, db.Id);
    const emails = (await psqlRows(docker, target, 'SELECT email FROM customers')).map((x) => x[0]!);
    const dump = fs.readFileSync(path.join(clone, 'data/production.sql'), 'utf8');
    assert.ok(emails.length > 10 && emails.every((e) => !dump.includes(`\t${e}\t`)), 'an original e-mail is in the clone');
    await endSession(docker, session, HOME, { graceSeconds: 0 });
    assert.deepEqual(await leftovers(docker, session), { containers: 0, networks: 0, volumes: 0 });
  });

  test('a failing step undoes the earlier ones and says which step failed', async () => {
    const session = 'shop-fail';
    sessions.add(session);
    const repo = await openRepository(CLONE);
    // A gateway image that does not exist and cannot be pulled: the stack step fails.
    await assert.rejects(runReproduction({
      incident: { id: 'INC-F', source: 'link', release: 'v1.4.0' }, repo, docker, selfHealthCheck, home: HOME, session,
      gatewayImage: 'repro-test/no-such-gateway:0',
    }), (e: unknown) => e instanceof ReproduceStepError && e.step === 'stack' && /no-such-gateway/.test(e.message));
    await assertNothingLeft(session);
  });
});
