// Parsing `git diff --name-status -z` output and checking repository paths, without git.
import * as assert from 'node:assert/strict';
import { badRepoPath, isCommitId, parseNameStatusZ } from '../../src/core/api';

describe('story diff: parseNameStatusZ', () => {
  it('reads every status, renames and copies with both paths and their score', () => {
    const out = ['M', 'src/a.ts', 'A', 'new.txt', 'D', 'old.txt', 'R087', 'from.ts', 'to.ts', 'C100', 'x.ts', 'y.ts', 'T', 'link', 'U', 'clash.txt', ''].join('\0');
    assert.deepEqual(parseNameStatusZ(out), [
      { status: 'modified', path: 'src/a.ts' },
      { status: 'added', path: 'new.txt' },
      { status: 'deleted', path: 'old.txt' },
      { status: 'renamed', path: 'to.ts', oldPath: 'from.ts' },
      { status: 'copied', path: 'y.ts', oldPath: 'x.ts' },
      { status: 'typechange', path: 'link' },
      { status: 'unmerged', path: 'clash.txt' },
    ]);
  });

  it('keeps spaces, tabs, newlines, quotes, unicode and leading dashes in names as they are (-z never quotes)', () => {
    const names = ['dir with space/file name.md', 'tab\there', 'new\nline', '"quoted"', 'näme ✓ 日本.txt', '-rf', ' leading space'];
    const out = names.flatMap((n) => ['A', n]).join('\0') + '\0';
    assert.deepEqual(
      parseNameStatusZ(out).map((f) => f.path),
      names,
    );
    assert.deepEqual(parseNameStatusZ(['R100', 'a b/ü.txt', 'c d/ö.txt', ''].join('\0')), [{ status: 'renamed', path: 'c d/ö.txt', oldPath: 'a b/ü.txt' }]);
  });

  it('an empty diff is an empty list, with or without the final NUL', () => {
    assert.deepEqual(parseNameStatusZ(''), []);
    assert.deepEqual(parseNameStatusZ('M\0a'), [{ status: 'modified', path: 'a' }]);
  });

  it('refuses output it does not understand, saying where', () => {
    assert.throws(() => parseNameStatusZ('Q\0a\0'), /unknown status "Q" at field 0/);
    assert.throws(() => parseNameStatusZ('R100\0only-one\0'), /"R100" without its two paths/);
    assert.throws(() => parseNameStatusZ('M\0a\0M'), /"M" without a path/);
  });
});

describe('story diff: paths and commit ids', () => {
  it('accepts plain relative paths, unicode and spaces included', () => {
    for (const p of ['a.txt', 'dir with space/ünï.md', '.github/workflows/ci.yml', 'a/.gitignore', '-rf']) assert.equal(badRepoPath(p), undefined, p);
  });
  it('refuses absolute paths, traversal, empty or dot segments, backslashes, NUL and .git', () => {
    for (const p of ['', '/etc/passwd', 'C:/x', '../x', 'a/../../x', 'a//b', './a', 'a/.', 'a\\b', 'a\0b', '.git', '.git/config', 'x'.repeat(5000), 42, undefined])
      assert.ok(badRepoPath(p), JSON.stringify(p));
  });
  it('a commit id is 7 to 64 lowercase hex digits, nothing else', () => {
    for (const c of ['abcdef0', 'a'.repeat(40), 'f'.repeat(64)]) assert.ok(isCommitId(c), c);
    for (const c of ['abc', 'HEAD', 'main', 'A'.repeat(40), 'a'.repeat(65), '--all', 'abcdef0:x', 7]) assert.ok(!isCommitId(c), String(c));
  });
});
