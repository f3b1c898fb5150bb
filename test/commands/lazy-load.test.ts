// `p2p --help` and `p2p topo` must not pay for React/Ink. The CLI bundle (dist/cli/p2p.cjs) must not hold them
// (the bundle's input map, dist/cli-inputs.json, says what each output holds), and a resolve hook records
// every module a real run loads besides it: none may be the TUI bundle's or Ink's/React's.
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
    const inBundle = path.relative(BUNDLE_DIR, file);
    const inputs = inBundle.startsWith('..') ? [path.relative(REPO_ROOT, file)] : inputsByOutput[inBundle] ?? [];
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

const uiPackages = (seen: Set<string>) => [...seen].filter((p) => /^(react|react-reconciler|ink|yoga-layout)$/.test(p));

test('the check sees React and Ink when the TUI is loaded (so the checks below can fail)', () => {
  const app = Object.keys(inputsByOutput).find((o) => inputsByOutput[o].some((i) => i.endsWith('src/ui/App.js')));
  assert.ok(app?.startsWith('tui/'), `the TUI is in the TUI bundle: ${app}`);
  assert.ok(app, 'the bundle has a TUI chunk');
  const seen = packagesIn(loadedBy(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(path.join(BUNDLE_DIR, app)).href)})`]));
  assert.ok(seen.has('react') && seen.has('ink'), [...seen].join(' '));
});

test('the CLI bundle holds yargs and the model but neither React nor Ink', () => {
  const cli = inputsByOutput['p2p.cjs'];
  assert.ok(cli.some((i) => i.includes('node_modules/yargs/')) && cli.some((i) => i.endsWith('src/model/topology.js')));
  assert.deepEqual(uiPackages(packagesIn([pathToFileURL(path.join(BUNDLE_DIR, 'p2p.cjs')).href])), []);
});

test('the CLI bundle does not hold elkjs: only topo --svg and report require it, at run time', () => {
  assert.deepEqual(inputsByOutput['p2p.cjs'].filter((i) => i.includes('node_modules/elkjs/')), []);
});

test('p2p --help loads neither React nor Ink, nor any of the TUI bundle', () => {
  const loaded = loadedBy([path.join(REPO_ROOT, 'bin/p2p.js'), '--help']);
  assert.deepEqual(loaded.filter((u) => u.includes('/dist/cli/tui/')), []);
  assert.deepEqual(uiPackages(packagesIn(loaded)), []);
});

test('p2p topo (text and JSON) loads neither React nor Ink', { skip: haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' }, () => {
  const root = hwlocRoot('32intel64-2p8co2t+8ve');
  for (const args of [['topo', '--json', '--root', root], ['topo', '--root', root]]) {
    const loaded = loadedBy([path.join(REPO_ROOT, 'bin/p2p.js'), ...args]);
    assert.deepEqual(loaded.filter((u) => u.includes('/dist/cli/tui/')), [], args.join(' '));
    assert.deepEqual(uiPackages(packagesIn(loaded)), [], args.join(' '));
  }
});

// Built-in modules a run loaded (process.moduleLoadList), printed at exit by a preloaded hook (with
// write(2): process.stderr would load stream modules itself).
const BUILTINS_AT_EXIT = `import { writeSync } from 'node:fs'; process.on('exit', () => writeSync(2, 'BUILTINS ' + process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join(' ') + '\\n'));`;

function builtinsLoadedBy(args: string[]): Set<string> {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(BUILTINS_AT_EXIT)}`, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 30000,
  });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stderr.split('\n').find((l) => l.startsWith('BUILTINS '));
  assert.ok(line, r.stderr);
  return new Set(line.slice(9).split(' '));
}

test('p2p topo into a pipe loads neither node:assert nor node:tty (yargs and chalk get stand-ins), nor stream machinery', { skip: haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' }, () => {
  // The check can fail: a plain Node program that asks for them shows them.
  const probe = builtinsLoadedBy(['-e', "require('node:assert'); require('node:tty').isatty(1); process.stdout.write('')"]);
  assert.ok(probe.has('assert') && probe.has('tty') && probe.has('net'), [...probe].join(' '));
  const root = hwlocRoot('32intel64-2p8co2t+8ve'); // its scan warns: stderr is written too
  // What the preloaded hook itself brings (--import starts the ES module loader) is not p2p's doing.
  const baseline = builtinsLoadedBy(['-e', '0']);
  for (const args of [['topo', '--json', '--root', root], ['topo', '--root', root], ['--help']]) {
    const loaded = new Set([...builtinsLoadedBy([path.join(REPO_ROOT, 'bin/p2p.js'), ...args])].filter((m) => !baseline.has(m)));
    assert.deepEqual(['assert', 'tty', 'perf_hooks'].filter((m) => loaded.has(m)), [], args.join(' '));
    // Output that is not a terminal goes out with write(2) (commands/std-streams.ts); yargs's help
    // still prints through console.log.
    if (args[0] === 'topo') assert.deepEqual(['net', 'stream', 'internal/fs/sync_write_stream'].filter((m) => loaded.has(m)), [], args.join(' '));
  }
});
