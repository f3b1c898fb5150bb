// `p2p --help` and `p2p topo` must not pay for React/Ink: a resolve hook records every package the run imports.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPO_ROOT, haveRefdata, hwlocRoot } from '../helpers/refdata.js';

// Registered with --import: logs each bare specifier resolved, one per line on stderr.
const HOOKS = `export async function resolve(s, c, next) { if (!s.startsWith('.') && !s.startsWith('node:') && !s.startsWith('file:') && !s.startsWith('/')) process.stderr.write('IMPORT ' + s + '\\n'); return next(s, c); }`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(HOOKS))});`;

function importsOf(args: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, path.join(REPO_ROOT, 'bin/p2p.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 30000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.split('\n').filter((l) => l.startsWith('IMPORT ')).map((l) => l.slice(7));
}

test('the import hook sees packages (so the checks below can fail)', () => {
  assert.ok(importsOf(['--help']).includes('yargs'));
});

test('p2p --help loads neither React nor Ink', () => {
  const seen = importsOf(['--help']);
  assert.deepEqual(seen.filter((s) => /^(react|ink)(\/|$)/.test(s)), []);
});

test('p2p topo (text and JSON) loads neither React nor Ink', { skip: haveRefdata() ? false : 'no ../shared/refdata' }, () => {
  const root = hwlocRoot('32intel64-2p8co2t+8ve');
  for (const args of [['topo', '--json', '--root', root], ['topo', '--root', root]]) {
    const seen = importsOf(args);
    assert.deepEqual(seen.filter((s) => /^(react|ink)(\/|$)/.test(s)), [], args.join(' '));
  }
});
