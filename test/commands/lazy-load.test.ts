// `p2p --help` and `p2p topo` must not pay for React/Ink: a resolve hook records every module the real entry
// point loads, and the bundle's input map (dist/cli-inputs.json) says which packages each bundled file holds.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPO_ROOT, haveRefdata, hwlocRoot } from '../helpers/refdata.js';

// Registered with --import: logs each resolved module URL (or bare builtin name), one per line on stderr.
const HOOKS = `export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('LOADED ' + r.url + '\\n'); return r; }`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(HOOKS))});`;
const BUNDLE_DIR = path.join(REPO_ROOT, 'dist/cli');
const inputsByOutput = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'dist/cli-inputs.json'), 'utf8')) as Record<string, string[]>;

/** Packages (react, ink, yargs...) whose code a list of loaded module URLs brought in. */
function packagesIn(urls: string[]): Set<string> {
  const out = new Set<string>();
  for (const url of urls) {
    if (!url.startsWith('file:')) continue;
    const file = decodeURIComponent(new URL(url).pathname);
    const inputs = path.dirname(file) === BUNDLE_DIR ? inputsByOutput[path.basename(file)] ?? [] : [path.relative(REPO_ROOT, file)];
    for (const input of inputs) {
      const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) out.add(m[1]);
    }
  }
  return out;
}

function loadedBy(args: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 30000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7));
}

const p2p = (...args: string[]) => packagesIn(loadedBy([path.join(REPO_ROOT, 'bin/p2p.js'), ...args]));
const uiPackages = (seen: Set<string>) => [...seen].filter((p) => /^(react|react-reconciler|ink|yoga-layout)$/.test(p));

test('the check sees React and Ink when the TUI is loaded (so the checks below can fail)', () => {
  const app = Object.keys(inputsByOutput).find((o) => inputsByOutput[o].some((i) => i.endsWith('src/ui/App.js')));
  assert.ok(app, 'the bundle has a TUI chunk');
  const seen = packagesIn(loadedBy(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(path.join(BUNDLE_DIR, app)).href)})`]));
  assert.ok(seen.has('react') && seen.has('ink'), [...seen].join(' '));
});

test('p2p --help runs from the bundle and loads neither React nor Ink', () => {
  const seen = p2p('--help');
  assert.ok(seen.has('yargs'), 'the bundled CLI (with yargs) was loaded');
  assert.deepEqual(uiPackages(seen), []);
});

test('p2p topo (text and JSON) loads neither React nor Ink', { skip: haveRefdata() ? false : 'no ../shared/refdata' }, () => {
  const root = hwlocRoot('32intel64-2p8co2t+8ve');
  for (const args of [['topo', '--json', '--root', root], ['topo', '--root', root]]) {
    assert.deepEqual(uiPackages(p2p(...args)), [], args.join(' '));
  }
});
