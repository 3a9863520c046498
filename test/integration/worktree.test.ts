// The git core on real repositories built here (no mocks): the incident's commit resolved from
// a sha or a release, fetched from a "remote" (a local bare repository) when missing; a
// worktree at that commit in Repro's storage, with submodules; reuse, changes, cancellation,
// removal. Above all: the developer's clone is byte-for-byte the same afterwards, whatever
// state it is in (dirty, mid-rebase, detached, with a stash), which every state test proves
// by comparing a snapshot of the working tree's files, the index, HEAD, refs, config, stash,
// branches and status before and after.
//
// Needs git (2.29+). No network: remotes are local paths.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CommitNotFoundError, GitCancelledError, InvalidRefError, NoRemoteError, NotAReproWorktreeError, OtherRepositoryError,
  ReleaseNotFoundError, WorktreeChangedError, WorktreeConflictError,
} from '../../extension/core/git/errors';
import { readFileAt } from '../../extension/core/git/fileAt';
import { checkCommit, checkRelease, releaseTagCandidates } from '../../extension/core/git/refs';
import { checkSameRepository, normaliseRemoteUrl, openRepository, sameRepository, type Repository } from '../../extension/core/git/repository';
import { resolveCommit } from '../../extension/core/git/resolve';
import type { GitProgress } from '../../extension/core/git/runGit';
import { resolveSubmoduleUrl, usesFileTransport } from '../../extension/core/git/submoduleUrl';
import { ensureWorktree, listWorktrees, removeWorktree, worktreePath } from '../../extension/core/git/worktree';
import { tempDir } from '../unit/helpers';
import { blobId, filesUnder, git, gitStatus, snapshot } from './gitSnapshot';

const ROOT = path.resolve(__dirname, '../../..');
const SAMPLE_REMOTE = 'https://github.com/reprokit/sample-shop.git';

// The machine's git configuration must not change what is tested (a global hooksPath, an
// insteadOf, a default branch): the product passes GIT_CONFIG_GLOBAL on to git, so setting it
// here isolates both the test's own git commands and the code under test.
process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';

const TMP = tempDir('repro-git-');
let SAMPLE = '';
let RELEASE = '';
let HEAD = '';

/** The worktree holds exactly the files of `rev`, with the same bytes. */
function assertCheckoutOf(repo: string, rev: string, wt: string): void {
  const expected = new Map<string, string>();
  for (const entry of git(repo, 'ls-tree', '-r', '-z', rev).split('\0').filter(Boolean)) {
    const m = /^\d+ (\w+) ([0-9a-f]+)\t(.*)$/s.exec(entry)!;
    if (m[1] === 'blob') expected.set(m[3]!, m[2]!);
  }
  const actual = filesUnder(wt);
  assert.deepEqual(actual, [...expected.keys()].sort(), `the files of ${wt} are not those of ${rev}`);
  for (const f of actual) assert.equal(blobId(fs.readFileSync(path.join(wt, f))), expected.get(f), `${f} differs from ${rev}`);
}

/** A copy of the sample repository (the same objects, origin still GitHub, never fetched). */
function sampleCopy(name: string): string {
  const dest = path.join(TMP, name);
  fs.cpSync(SAMPLE, dest, { recursive: true });
  return dest;
}

let storageCount = 0;
const freshStorage = () => path.join(TMP, `storage-${++storageCount}`);

before(() => {
  SAMPLE = path.join(TMP, 'sample');
  RELEASE = execFileSync('bash', [path.join(ROOT, 'test/fixtures/make-sample-repo.sh'), SAMPLE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  HEAD = git(SAMPLE, 'rev-parse', 'HEAD').trim();
  assert.match(RELEASE, /^[0-9a-f]{40}$/);
});

after(() => {
  fs.rmSync(TMP, { recursive: true, force: true });
});

describe('repository', () => {
  test('openRepository gives the root (from any folder inside) and the remotes', async () => {
    const repo = await openRepository(path.join(SAMPLE, 'src'));
    assert.equal(repo.root, fs.realpathSync(SAMPLE));
    assert.equal(repo.commonDir, path.join(fs.realpathSync(SAMPLE), '.git'));
    assert.deepEqual(repo.remotes, [{ name: 'origin', fetchUrl: SAMPLE_REMOTE, pushUrl: SAMPLE_REMOTE }]);
  });

  test('a folder outside any repository is refused with what to open instead', async () => {
    const plain = fs.mkdtempSync(path.join(TMP, 'plain-'));
    await assert.rejects(openRepository(plain), (e: Error) => e.name === 'NotARepositoryError' && e.message.includes(plain) && /clone/.test(e.message));
    await assert.rejects(openRepository(path.join(TMP, 'missing')), /does not exist/);
  });

  test('one repository, however its URL is spelt', () => {
    const same: [string, string][] = [
      [SAMPLE_REMOTE, 'git@github.com:reprokit/sample-shop.git'],
      [SAMPLE_REMOTE, 'ssh://git@github.com/reprokit/sample-shop'],
      [SAMPLE_REMOTE, 'ssh://git@ssh.github.com:443/reprokit/sample-shop.git'],
      [SAMPLE_REMOTE, 'https://github.com/reprokit/sample-shop'],
      [SAMPLE_REMOTE, 'https://github.com/reprokit/sample-shop/'],
      [SAMPLE_REMOTE, 'https://GitHub.COM/reprokit/sample-shop.git/'],
      [SAMPLE_REMOTE, 'https://github.com/ReproKit/Sample-Shop'],
      [SAMPLE_REMOTE, 'https://ci-bot:token@github.com/reprokit/sample-shop.git'],
      [SAMPLE_REMOTE, 'git+ssh://git@github.com/reprokit/sample-shop.git'],
      ['https://gitlab.example.com/team/app.git', 'git@gitlab.example.com:team/app'],
      ['https://gitlab.example.com:8443/team/app.git', 'ssh://git@gitlab.example.com:2222/team/app.git'],
      ['https://dev.azure.com/org/proj/_git/app', 'git@ssh.dev.azure.com:v3/org/proj/app'],
      ['/srv/git/app.git', 'file:///srv/git/app'],
      ['/srv/git/app.git/', '/srv/git/app'],
    ];
    for (const [a, b] of same) {
      assert.ok(sameRepository(a, b), `${a} and ${b} are one repository (${normaliseRemoteUrl(a)} vs ${normaliseRemoteUrl(b)})`);
      assert.ok(sameRepository(b, a), `${b} and ${a} are one repository`);
    }
    const different: [string, string][] = [
      [SAMPLE_REMOTE, 'https://github.com/reprokit/other-shop.git'],
      [SAMPLE_REMOTE, 'https://github.com/someone-else/sample-shop.git'],
      [SAMPLE_REMOTE, 'https://gitlab.com/reprokit/sample-shop.git'],
      [SAMPLE_REMOTE, 'https://github.com/reprokit/sample-shop/tree/main'],
      // Self-hosted paths are case-sensitive.
      ['https://git.example.com/Team/App.git', 'https://git.example.com/team/app.git'],
      [SAMPLE_REMOTE, ''],
      ['', ''],
    ];
    for (const [a, b] of different) assert.ok(!sameRepository(a, b), `${a} and ${b} are different repositories`);
  });

  test('an incident for another repository is refused, naming both', async () => {
    const repo = await openRepository(SAMPLE);
    checkSameRepository(repo, 'git@github.com:reprokit/sample-shop.git');
    const other = 'https://github.com/acme/billing.git';
    assert.throws(() => checkSameRepository(repo, other), (e: Error) => {
      assert.ok(e instanceof OtherRepositoryError);
      assert.ok(e.message.includes(other), e.message);
      assert.ok(e.message.includes(SAMPLE_REMOTE), e.message);
      assert.match(e.message, /Open a clone of/);
      return true;
    });
  });
});

describe('refs from an alert', () => {
  const marker = () => path.join(TMP, 'pwned');
  const hostile = () => [
    `--upload-pack=touch ${marker()}`, `--upload-pack=touch /tmp/x`, '-c', '--output=/tmp/x', '../../etc', 'refs/../../x', '$(id)', '`id`',
    'a b', ' v1.4.0', 'v1.4.0 ', 'x'.repeat(5000), 'v1.4.0~1', 'HEAD^', 'v1.4.0:repro.yaml', 'a?b', 'a*b', 'a[b', 'a\\b',
    'a\u0000b', 'a\nb', 'a\u001bb', '@{-1}', '.hidden', 'tag.lock', 'v1/', 'v1//x', 'a;touch x', '|id', '',
  ];

  test('hostile values are refused before git runs', async () => {
    // A repository whose folder does not exist: if git were started, the error would say so.
    const nowhere: Repository = { root: path.join(TMP, 'nowhere'), commonDir: path.join(TMP, 'nowhere/.git'), remotes: [] };
    for (const value of hostile()) {
      for (const ref of [{ commit: value }, { release: value }, { commit: 'e022ecc', release: value }]) {
        await assert.rejects(resolveCommit(nowhere, ref), InvalidRefError, `${JSON.stringify(ref)} was not refused`);
      }
      await assert.rejects(resolveCommit(nowhere, { commit: RELEASE }, { remote: value }), InvalidRefError, `remote ${JSON.stringify(value)}`);
      await assert.rejects(ensureWorktree(nowhere, value, freshStorage()), InvalidRefError);
      await assert.rejects(readFileAt(nowhere, value, 'repro.yaml'), InvalidRefError);
    }
    for (const file of ['../etc/passwd', '/etc/passwd', 'a/../../b', '.git/config', ':(glob)*', '-x', 'C:\\x', '']) {
      await assert.rejects(readFileAt(nowhere, RELEASE, file), InvalidRefError, `path ${file}`);
    }
  });

  test('against a real repository too: nothing runs, nothing is created', async () => {
    const repo = await openRepository(SAMPLE);
    const before = snapshot(SAMPLE);
    for (const value of hostile()) {
      await assert.rejects(resolveCommit(repo, { commit: value }), InvalidRefError);
      await assert.rejects(resolveCommit(repo, { release: value }), InvalidRefError);
      await assert.rejects(resolveCommit(repo, { release: 'v1.4.0' }, { remote: value }), InvalidRefError);
    }
    assert.ok(!fs.existsSync(marker()), 'a hostile ref ran a command');
    assert.ok(!fs.existsSync('/tmp/x') || fs.statSync('/tmp/x').mtimeMs < Date.now() - 60_000, '/tmp/x was created');
    assert.deepEqual(snapshot(SAMPLE), before);
  });

  test('the refusal says what is wrong and what a valid value looks like', () => {
    assert.throws(() => checkCommit('--upload-pack=x'), /starts with "-" and git would read it as an option.*7 to 40 hexadecimal digits/);
    assert.throws(() => checkCommit('abc'), /fewer than the 7/);
    assert.throws(() => checkRelease('$(id)'), /starts with "\$".*tag name such as v1.4.0/);
    assert.throws(() => checkRelease('x'.repeat(201)), /201 characters long/);
    assert.equal(checkCommit('E022ECC'), 'e022ecc');
    assert.deepEqual(releaseTagCandidates('1.4.0'), ['1.4.0', 'v1.4.0']);
    assert.deepEqual(releaseTagCandidates('v1.4.0'), ['v1.4.0', '1.4.0']);
    assert.deepEqual(releaseTagCandidates('release-7'), ['release-7']);
  });
});

describe('resolveCommit', () => {
  test('a release, spelt with or without "v", and a commit, full or abbreviated', async () => {
    const repo = await openRepository(SAMPLE);
    assert.equal(await resolveCommit(repo, { release: 'v1.4.0' }), RELEASE);
    assert.equal(await resolveCommit(repo, { release: '1.4.0' }), RELEASE);
    assert.equal(await resolveCommit(repo, { commit: RELEASE }), RELEASE);
    assert.equal(await resolveCommit(repo, { commit: RELEASE.slice(0, 7).toUpperCase() }), RELEASE);
    // The commit is exact; it wins over the release.
    assert.equal(await resolveCommit(repo, { commit: HEAD, release: 'v1.4.0' }), HEAD);
    await assert.rejects(resolveCommit(repo, {}), /neither a commit nor a release/);
  });

  describe('fetching what the clone does not have, from a local bare "remote"', () => {
    let REMOTE = '';
    let USER = '';
    let HOTFIX = '';
    let V2 = '';
    before(() => {
      const dir = path.join(TMP, 'fetch');
      REMOTE = path.join(dir, 'remote.git');
      USER = path.join(dir, 'user');
      const other = path.join(dir, 'other');
      git(TMP, 'clone', '-q', '--bare', SAMPLE, REMOTE);
      git(TMP, 'clone', '-q', REMOTE, USER);
      git(TMP, 'clone', '-q', REMOTE, other);
      fs.appendFileSync(path.join(other, 'server.js'), '// hotfix\n');
      git(other, 'commit', '-qam', 'Hotfix');
      HOTFIX = git(other, 'rev-parse', 'HEAD').trim();
      git(other, 'push', '-q', 'origin', 'HEAD:refs/heads/hotfix');
      fs.appendFileSync(path.join(other, 'server.js'), '// 2.0\n');
      git(other, 'commit', '-qam', 'Release 2.0.0');
      git(other, 'tag', '-a', 'v2.0.0', '-m', 'shop 2.0.0');
      V2 = git(other, 'rev-parse', 'HEAD').trim();
      git(other, 'push', '-q', 'origin', 'refs/tags/v2.0.0');
      assert.equal(gitStatus(USER, 'cat-file', '-e', `${HOTFIX}^{commit}`), 128, 'the clone already has the hotfix');
    });

    test('a commit only on the remote is fetched, with progress, and no ref of the clone changes', async (t) => {
      const repo = await openRepository(USER);
      const refsBefore = git(USER, 'for-each-ref', '--format=%(refname) %(objectname)');
      const events: GitProgress[] = [];
      const start = performance.now();
      assert.equal(await resolveCommit(repo, { commit: HOTFIX }, { onProgress: (p) => events.push(p) }), HOTFIX);
      const ms = performance.now() - start;
      assert.equal(gitStatus(USER, 'cat-file', '-e', `${HOTFIX}^{commit}`), 0);
      assert.equal(git(USER, 'for-each-ref', '--format=%(refname) %(objectname)'), refsBefore);
      assert.ok(!fs.existsSync(path.join(USER, '.git', 'FETCH_HEAD')), 'FETCH_HEAD was written');
      assert.ok(events.some((e) => e.step === 'fetch' && e.stage.includes(HOTFIX.slice(0, 12))), JSON.stringify(events));
      assert.ok(events.some((e) => e.percent !== undefined), `no progress from git: ${JSON.stringify(events)}`);
      // Now local: no second fetch.
      assert.equal(await resolveCommit(repo, { commit: HOTFIX }, { onProgress: () => assert.fail('fetched again') }), HOTFIX);
      t.diagnostic(`fetch of one commit from a local remote: ${ms.toFixed(0)} ms`);
    });

    test('a release only on the remote: its tag is fetched (that tag, nothing else)', async () => {
      const repo = await openRepository(USER);
      assert.equal(await resolveCommit(repo, { release: '2.0.0' }), V2);
      assert.equal(git(USER, 'rev-parse', 'refs/tags/v2.0.0^{commit}').trim(), V2);
      assert.equal(git(USER, 'tag', '-l').split('\n').filter(Boolean).sort().join(' '), 'v1.4.0 v2.0.0');
    });

    test('a commit that exists nowhere: the clear error', async () => {
      const repo = await openRepository(USER);
      const missing = 'deadbeef'.repeat(5);
      await assert.rejects(resolveCommit(repo, { commit: missing }), (e: Error) => {
        assert.ok(e instanceof CommitNotFoundError);
        assert.match(e.message, /^commit deadbee is not in this repository or on origin; fetch it or check the alert\.$/);
        return true;
      });
      await assert.rejects(resolveCommit(repo, { commit: 'deadbee' }), /only a full 40-character id can be fetched/);
      await assert.rejects(resolveCommit(repo, { release: '9.9.9' }), (e: Error) => {
        assert.ok(e instanceof ReleaseNotFoundError);
        assert.match(e.message, /release 9.9.9 is not a tag in this repository or on origin \(tried 9.9.9 and v9.9.9\)/);
        return true;
      });
    });

    test('an unreachable remote, a missing remote and a cancel say so', async () => {
      const lost = path.join(TMP, 'fetch', 'lost');
      // Only main: the hotfix and v2.0.0 are not in it.
      git(TMP, 'clone', '-q', '--no-local', '--single-branch', '--branch', 'main', '--no-tags', REMOTE, lost);
      assert.equal(gitStatus(lost, 'cat-file', '-e', `${HOTFIX}^{commit}`), 128);
      git(lost, 'remote', 'set-url', 'origin', path.join(TMP, 'fetch', 'gone.git'));
      const repo = await openRepository(lost);
      await assert.rejects(resolveCommit(repo, { commit: HOTFIX }), /commit [0-9a-f]{7} is not in this repository or on origin; fetch it or check the alert \(origin \(.*gone\.git\) could not be reached: /);
      await assert.rejects(resolveCommit(repo, { commit: HOTFIX }, { remote: 'upstream' }), NoRemoteError);
      const ctl = new AbortController();
      ctl.abort();
      await assert.rejects(resolveCommit(await openRepository(USER), { commit: 'feedface'.repeat(5) }, { signal: ctl.signal }), GitCancelledError);
    });
  });
});

describe('ensureWorktree and removeWorktree', () => {
  test('a worktree at the v1.4.0 tag has exactly the tag\'s files; the second call reuses it', async (t) => {
    const user = sampleCopy('tagged');
    const repo = await openRepository(user);
    const storage = freshStorage();
    const sha = await resolveCommit(repo, { release: 'v1.4.0' });
    let start = performance.now();
    const wt = await ensureWorktree(repo, sha, storage);
    const addMs = performance.now() - start;
    assert.deepEqual(wt, { path: worktreePath(storage, sha), sha: RELEASE, reused: false });
    assert.equal(path.dirname(wt.path), path.join(storage, 'worktrees'));
    assertCheckoutOf(user, 'v1.4.0', wt.path);
    assert.equal(JSON.parse(fs.readFileSync(path.join(wt.path, 'package.json'), 'utf8')).version, '1.4.0');
    // The release's repro.yaml, not HEAD's (HEAD pins PostgreSQL 15.6).
    assert.match(fs.readFileSync(path.join(wt.path, 'repro.yaml'), 'utf8'), /type: postgresql:15\n/);
    assert.equal(git(wt.path, 'rev-parse', 'HEAD').trim(), RELEASE);
    assert.equal(git(wt.path, 'status', '--porcelain'), '');

    start = performance.now();
    const again = await ensureWorktree(repo, sha, storage);
    const reuseMs = performance.now() - start;
    assert.deepEqual(again, { ...wt, reused: true });
    assert.ok(reuseMs < 1000, `reuse took ${reuseMs.toFixed(0)} ms`);
    t.diagnostic(`sample repo (${filesUnder(wt.path).length} files): worktree add ${addMs.toFixed(0)} ms, reuse ${reuseMs.toFixed(0)} ms`);
    await removeWorktree(repo, wt.path);
    assert.ok(!fs.existsSync(wt.path));
    assert.equal((await listWorktrees(repo)).length, 1);
    assert.ok(!fs.existsSync(path.join(user, '.git', 'worktrees')), '.git/worktrees left behind');
    await removeWorktree(repo, wt.path); // already gone: nothing to do
  });

  describe('the developer\'s clone is byte-for-byte unchanged', () => {
    const states: Record<string, (repo: string) => void> = {
      'dirty: modified, staged, partly staged, deleted and untracked files': (repo) => {
        fs.appendFileSync(path.join(repo, 'server.js'), '// work in progress\n');
        fs.appendFileSync(path.join(repo, 'package.json'), '\n');
        git(repo, 'add', 'package.json');
        fs.appendFileSync(path.join(repo, 'package.json'), ' \n');
        fs.writeFileSync(path.join(repo, 'added.txt'), 'staged new file\n');
        git(repo, 'add', 'added.txt');
        fs.rmSync(path.join(repo, 'schema.sql'));
        fs.writeFileSync(path.join(repo, 'notes.txt'), 'untracked\n');
        fs.mkdirSync(path.join(repo, 'scratch'));
        fs.writeFileSync(path.join(repo, 'scratch', 'a.txt'), 'untracked in a new folder\n');
      },
      'a rebase stopped on a conflict (.git/rebase-merge)': (repo) => {
        git(repo, 'checkout', '-q', '-b', 'feature', 'v1.4.0');
        const yaml = path.join(repo, 'repro.yaml');
        fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace('type: postgresql:15\n', 'type: postgresql:16\n'));
        git(repo, 'commit', '-qam', 'Try PostgreSQL 16');
        assert.notEqual(gitStatus(repo, 'rebase', 'main'), 0, 'the rebase should stop on a conflict');
        assert.ok(fs.existsSync(path.join(repo, '.git', 'rebase-merge')), 'no rebase in progress');
        assert.match(fs.readFileSync(yaml, 'utf8'), /^<<<<<<< /m);
        fs.writeFileSync(path.join(repo, 'untracked-during-rebase.txt'), 'x\n');
      },
      'detached HEAD': (repo) => {
        git(repo, 'checkout', '-q', '--detach', 'HEAD~2');
        fs.appendFileSync(path.join(repo, 'README.md'), 'edited while detached\n');
      },
      'a stash entry, and more changes on top': (repo) => {
        fs.appendFileSync(path.join(repo, 'server.js'), '// stashed\n');
        fs.writeFileSync(path.join(repo, 'stashed-new.txt'), 'x\n');
        git(repo, 'stash', 'push', '-q', '--include-untracked', '-m', 'wip before the incident');
        fs.appendFileSync(path.join(repo, 'server.js'), '// after the stash\n');
      },
    };
    let n = 0;
    for (const [state, make] of Object.entries(states)) {
      test(state, async () => {
        const user = sampleCopy(`state-${++n}`);
        make(user);
        const before = snapshot(user);
        const repo = await openRepository(user);
        const storage = freshStorage();
        const sha = await resolveCommit(repo, { release: '1.4.0' });
        const wt = await ensureWorktree(repo, sha, storage);
        assertCheckoutOf(user, sha, wt.path);
        assert.deepEqual(snapshot(user), before, 'ensureWorktree changed the developer\'s clone');
        assert.deepEqual((await ensureWorktree(repo, sha, storage)).reused, true);
        assert.deepEqual(snapshot(user), before, 'reusing the worktree changed the developer\'s clone');
        await removeWorktree(repo, wt.path);
        assert.ok(!fs.existsSync(wt.path));
        assert.deepEqual((await listWorktrees(repo)).map((w) => w.path), [fs.realpathSync(user)]);
        assert.ok(!fs.existsSync(path.join(user, '.git', 'worktrees')));
        assert.deepEqual(snapshot(user), before, 'removeWorktree changed the developer\'s clone');
      });
    }
  });

  test('a worktree with changes is refused with the list of them, or recreated when asked', async () => {
    const user = sampleCopy('changed');
    const repo = await openRepository(user);
    const storage = freshStorage();
    const wt = await ensureWorktree(repo, RELEASE, storage);
    fs.appendFileSync(path.join(wt.path, 'server.js'), 'console.log("debugging the incident");\n');
    fs.writeFileSync(path.join(wt.path, 'scratch.txt'), 'x\n');
    await assert.rejects(ensureWorktree(repo, RELEASE, storage), (e: Error) => {
      assert.ok(e instanceof WorktreeChangedError);
      assert.deepEqual(e.changes, ['M server.js', '?? scratch.txt']);
      assert.ok(e.message.includes(`no longer the commit ${RELEASE.slice(0, 12)}: M server.js; ?? scratch.txt. Keep your changes`), e.message);
      return true;
    });
    assert.match(fs.readFileSync(path.join(wt.path, 'server.js'), 'utf8'), /debugging the incident/, 'the refusal lost the changes');
    const recreated = await ensureWorktree(repo, RELEASE, storage, { discardChanges: true });
    assert.equal(recreated.reused, false);
    assertCheckoutOf(user, RELEASE, recreated.path);

    // Another HEAD is a change too.
    git(wt.path, 'checkout', '-q', '--detach', 'HEAD~1');
    await assert.rejects(ensureWorktree(repo, RELEASE, storage), /HEAD is at [0-9a-f]{12}/);
    assert.equal((await ensureWorktree(repo, RELEASE, storage, { discardChanges: true })).reused, false);
    await removeWorktree(repo, wt.path);
  });

  test('left-overs: a half-created worktree is recreated, a deleted folder is re-added, foreign folders are refused', async () => {
    const user = sampleCopy('leftovers');
    const repo = await openRepository(user);
    const storage = freshStorage();
    const wt = await ensureWorktree(repo, RELEASE, storage);
    // What a crash in the middle of `git worktree add` leaves: git's "initializing" lock, files missing.
    const admin = fs.readFileSync(path.join(wt.path, '.git'), 'utf8').replace(/^gitdir: /, '').trim();
    fs.writeFileSync(path.join(admin, 'locked'), 'initializing');
    fs.rmSync(path.join(wt.path, 'server.js'));
    const recreated = await ensureWorktree(repo, RELEASE, storage);
    assert.equal(recreated.reused, false);
    assertCheckoutOf(user, RELEASE, wt.path);

    fs.rmSync(wt.path, { recursive: true, force: true });
    assert.equal((await ensureWorktree(repo, RELEASE, storage)).reused, false);
    assert.equal((await listWorktrees(repo)).length, 2);

    // Another clone's worktree at the same path, and an unrelated folder: not Repro's to delete.
    const otherStorage = freshStorage();
    const other = sampleCopy('leftovers-other');
    const otherWt = worktreePath(otherStorage, RELEASE);
    git(other, 'worktree', 'add', '-q', '--detach', otherWt, RELEASE);
    await assert.rejects(ensureWorktree(repo, RELEASE, otherStorage), (e: Error) => e instanceof WorktreeConflictError && /another repository/.test(e.message));
    assert.ok(fs.existsSync(path.join(otherWt, 'server.js')));
    const junkStorage = freshStorage();
    fs.mkdirSync(worktreePath(junkStorage, RELEASE), { recursive: true });
    fs.writeFileSync(path.join(worktreePath(junkStorage, RELEASE), 'mine.txt'), 'x');
    await assert.rejects(ensureWorktree(repo, RELEASE, junkStorage), /exists and is not a git worktree/);
    assert.ok(fs.existsSync(path.join(worktreePath(junkStorage, RELEASE), 'mine.txt')));
    // Storage inside the clone is refused.
    await assert.rejects(ensureWorktree(repo, RELEASE, path.join(user, '.repro')), /inside .*keeps its worktrees out of your clone/);
    await removeWorktree(repo, wt.path);
  });

  test('removeWorktree refuses the main tree, the user\'s own worktrees and strangers', async () => {
    const user = sampleCopy('refusals');
    const repo = await openRepository(user);
    await assert.rejects(removeWorktree(repo, user), (e: Error) => e instanceof NotAReproWorktreeError && /main working tree/.test(e.message));
    const own = path.join(TMP, 'users-own-worktree');
    git(user, 'worktree', 'add', '-q', '-b', 'experiment', own, 'v1.4.0');
    await assert.rejects(removeWorktree(repo, own), /not in a Repro storage folder/);
    assert.ok(fs.existsSync(path.join(own, 'server.js')));
    const stranger = fs.mkdtempSync(path.join(TMP, 'stranger-'));
    await assert.rejects(removeWorktree(repo, stranger), /not a worktree of this clone/);
    assert.ok(fs.existsSync(stranger));
    assert.equal((await listWorktrees(repo)).length, 2);
  });

  test('readFileAt reads a file at a commit without checking anything out', async () => {
    const repo = await openRepository(SAMPLE);
    const before = snapshot(SAMPLE);
    const atRelease = await readFileAt(repo, RELEASE, 'repro.yaml');
    const atHead = await readFileAt(repo, HEAD, './repro.yaml');
    assert.equal(atRelease, git(SAMPLE, 'show', 'v1.4.0:repro.yaml'));
    assert.match(atRelease!, /type: postgresql:15\n/);
    assert.match(atHead!, /type: postgresql:15\.6\n/);
    assert.equal(await readFileAt(repo, RELEASE, 'src/badge.js'), git(SAMPLE, 'show', 'v1.4.0:src/badge.js'));
    assert.equal(await readFileAt(repo, RELEASE, 'no-such-file.yaml'), undefined);
    assert.equal(await readFileAt(repo, git(SAMPLE, 'rev-list', '--max-parents=0', 'HEAD').trim(), 'repro.yaml'), undefined, 'the first commit had no repro.yaml');
    await assert.rejects(readFileAt(repo, RELEASE, 'src'), (e: Error) => e.message.includes(`it is a folder at ${RELEASE.slice(0, 12)}, not a file`));
    await assert.rejects(readFileAt(repo, 'deadbeef'.repeat(5), 'repro.yaml'), CommitNotFoundError);
    assert.deepEqual(snapshot(SAMPLE), before);
  });
});

describe('submodules', () => {
  let SUPER = '';
  let LIB_RECORDED = '';
  let DEEP_RECORDED = '';
  before(() => {
    const dir = path.join(TMP, 'sub');
    const deep = path.join(dir, 'deep');
    const lib = path.join(dir, 'lib');
    const upstream = path.join(dir, 'super');
    for (const d of [deep, lib, upstream]) {
      fs.mkdirSync(d, { recursive: true });
      git(d, 'init', '-q');
    }
    fs.writeFileSync(path.join(deep, 'deep.txt'), 'deep v1\n');
    git(deep, 'add', '-A');
    git(deep, 'commit', '-qm', 'deep v1');
    DEEP_RECORDED = git(deep, 'rev-parse', 'HEAD').trim();
    fs.writeFileSync(path.join(lib, 'lib.txt'), 'lib v1\n');
    git(lib, 'submodule', 'add', '-q', '../deep', 'deep');
    git(lib, 'add', '-A');
    git(lib, 'commit', '-qm', 'lib v1 with deep');
    LIB_RECORDED = git(lib, 'rev-parse', 'HEAD').trim();
    fs.writeFileSync(path.join(upstream, 'app.txt'), 'app\n');
    git(upstream, 'submodule', 'add', '-q', '../lib', 'vendor/lib');
    git(upstream, 'add', '-A');
    git(upstream, 'commit', '-qm', 'app with lib v1');
    // Both move on after the app recorded them: the worktree must have the recorded commits.
    fs.writeFileSync(path.join(lib, 'lib.txt'), 'lib v2\n');
    git(lib, 'commit', '-qam', 'lib v2');
    fs.writeFileSync(path.join(deep, 'deep.txt'), 'deep v2\n');
    git(deep, 'commit', '-qam', 'deep v2');
    // The developer's clone, submodules not initialised (its .git/config has no submodule.*).
    SUPER = path.join(dir, 'user');
    git(dir, 'clone', '-q', upstream, SUPER);
  });

  test('the worktree has the submodules (recursively) at the recorded commits; the clone\'s config is untouched', async (t) => {
    const before = snapshot(SUPER);
    assert.doesNotMatch(before['config bytes']!, /submodule/);
    const repo = await openRepository(SUPER);
    const storage = freshStorage();
    const sha = await resolveCommit(repo, { commit: git(SUPER, 'rev-parse', 'HEAD').trim() });
    const start = performance.now();
    const wt = await ensureWorktree(repo, sha, storage);
    const ms = performance.now() - start;
    assert.equal(fs.readFileSync(path.join(wt.path, 'vendor/lib/lib.txt'), 'utf8'), 'lib v1\n');
    assert.equal(git(path.join(wt.path, 'vendor/lib'), 'rev-parse', 'HEAD').trim(), LIB_RECORDED);
    assert.equal(fs.readFileSync(path.join(wt.path, 'vendor/lib/deep/deep.txt'), 'utf8'), 'deep v1\n');
    assert.equal(git(path.join(wt.path, 'vendor/lib/deep'), 'rev-parse', 'HEAD').trim(), DEEP_RECORDED);
    assert.equal(git(wt.path, 'status', '--porcelain', '--ignore-submodules=none'), '');
    assert.deepEqual(snapshot(SUPER), before, 'the developer\'s clone changed (submodule init writes .git/config)');
    assert.equal((await ensureWorktree(repo, sha, storage)).reused, true);
    assert.deepEqual(snapshot(SUPER), before);
    t.diagnostic(`worktree with 2 levels of local submodules: ${ms.toFixed(0)} ms`);
    await removeWorktree(repo, wt.path);
    assert.ok(!fs.existsSync(wt.path));
    assert.ok(!fs.existsSync(path.join(SUPER, '.git', 'worktrees')), 'the submodules\' git folders were left behind');
    assert.deepEqual(snapshot(SUPER), before);
  });

  test('a cancel while submodules are checked out removes the half-created worktree', async () => {
    const before = snapshot(SUPER);
    const repo = await openRepository(SUPER);
    const storage = freshStorage();
    const ctl = new AbortController();
    const sha = git(SUPER, 'rev-parse', 'HEAD').trim();
    await assert.rejects(ensureWorktree(repo, sha, storage, {
      signal: ctl.signal,
      onProgress: (p) => { if (p.step === 'submodules') ctl.abort(); },
    }), (e: Error) => {
      assert.ok(e instanceof GitCancelledError, String(e));
      assert.equal(e.name, 'CancelledError');
      assert.match(e.message, /^Cancelled; the half-created worktree .* was removed\.$/);
      return true;
    });
    assert.ok(!fs.existsSync(worktreePath(storage, sha)));
    assert.equal((await listWorktrees(repo)).length, 1);
    assert.ok(!fs.existsSync(path.join(SUPER, '.git', 'worktrees')));
    assert.deepEqual(snapshot(SUPER), before);
  });

  test('relative submodule URLs resolve as git resolves them', () => {
    const cases: [string, string, string][] = [
      ['../lib', 'https://github.com/org/app.git', 'https://github.com/org/lib'],
      ['../lib.git', 'git@github.com:org/app.git', 'git@github.com:org/lib.git'],
      ['../../other/lib', 'ssh://git@host/org/app', 'ssh://git@host/other/lib'],
      ['./sub', '/srv/git/app', '/srv/git/app/sub'],
      ['../x', 'host:repo', 'host:x'],
      ['../lib/', '/srv/git/app/', '/srv/git/lib'],
      ['https://example.com/abs.git', '/srv/git/app', 'https://example.com/abs.git'],
    ];
    for (const [url, base, expected] of cases) assert.equal(resolveSubmoduleUrl(url, base), expected, `${url} against ${base}`);
    assert.ok(usesFileTransport('/srv/git/lib') && usesFileTransport('file:///srv/x') && usesFileTransport('../x'));
    assert.ok(!usesFileTransport('https://github.com/x') && !usesFileTransport('git@github.com:x') && !usesFileTransport('ssh://h/x'));
  });
});

describe('cancellation', () => {
  test('a cancel before anything started creates nothing', async () => {
    const user = sampleCopy('cancel-early');
    const repo = await openRepository(user);
    const storage = freshStorage();
    const ctl = new AbortController();
    ctl.abort();
    await assert.rejects(ensureWorktree(repo, RELEASE, storage, { signal: ctl.signal }), GitCancelledError);
    assert.ok(!fs.existsSync(worktreePath(storage, RELEASE)));
    assert.equal((await listWorktrees(repo)).length, 1);
  });

  test('a cancel in the middle of the checkout removes the half-created worktree', async (t) => {
    // Big enough that the checkout takes a while (0.1 to 0.7 s here, the abort lands within
    // 30 ms of the worktree's .git appearing), small enough to keep the file fast.
    const big = path.join(TMP, 'big');
    fs.mkdirSync(big);
    git(big, 'init', '-q');
    for (let d = 0; d < 20; d++) {
      fs.mkdirSync(path.join(big, `d${d}`));
      for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(big, `d${d}`, `f${f}.txt`), `${d} ${f}\n`);
    }
    git(big, 'add', '-A');
    git(big, 'commit', '-qm', 'many files');
    const sha = git(big, 'rev-parse', 'HEAD').trim();
    const before = snapshot(big);
    const repo = await openRepository(big);
    const storage = freshStorage();
    const wt = worktreePath(storage, sha);
    const ctl = new AbortController();
    // Abort as soon as git has made the worktree's .git file, that is, while it checks out.
    let polls = 0;
    const poll = setInterval(() => {
      polls++;
      if (fs.existsSync(path.join(wt, '.git'))) {
        clearInterval(poll);
        ctl.abort();
      }
    }, 1);
    const start = performance.now();
    try {
      await assert.rejects(ensureWorktree(repo, sha, storage, { signal: ctl.signal }), (e: Error) => {
        assert.ok(e instanceof GitCancelledError, `expected a cancel, got ${String(e)}`);
        return true;
      });
    } finally {
      clearInterval(poll);
    }
    t.diagnostic(`cancelled after ${(performance.now() - start).toFixed(0)} ms (${polls} polls)`);
    assert.ok(!fs.existsSync(wt), 'the half-created worktree is still there');
    assert.equal((await listWorktrees(repo)).length, 1);
    assert.ok(!fs.existsSync(path.join(big, '.git', 'worktrees')), '.git/worktrees left behind');
    assert.deepEqual(snapshot(big), before);
    // And the next try works.
    const ok = await ensureWorktree(repo, sha, storage);
    assert.equal(filesUnder(ok.path).length, 2_000);
    await removeWorktree(repo, ok.path);
  });
});
