// The package as a user gets it: `npm pack`, installed into an empty project, runs `p2p --help` and
// `p2p topo`; with the addon's build broken the install still succeeds and `p2p` still works, saying
// which feature needs the addon. Needs npm and the npm registry (for the dependencies).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { hwlocRoot, REPO_ROOT } from '../helpers/refdata.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';

const npm = spawnSync('npm', ['--version'], { encoding: 'utf8' });
const noNpm = npm.status === 0 ? false : 'npm is not on PATH (it comes with Node.js: install Node.js 20 with npm)';

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }, timeout: 600_000 });
}

/** npm's own words when the registry cannot be reached: then the test skips instead of failing. */
const OFFLINE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|network request .* failed/;

describe('npm pack, installed into an empty project', { skip: noNpm }, () => {
  const work = tempDirRemovedAtExit('p2p-pack-');
  let tarball = '';
  let app = '';

  it('packs every file the install script and the entry point need', () => {
    // --ignore-scripts: `npm test` has just built dist/; prepare would rebuild it under the other tests' feet.
    const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO_ROOT);
    assert.equal(r.status, 0, r.stderr);
    const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(work, path.basename(info.filename));
    const files = new Set(info.files.map((f) => f.path));
    const gyp = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'binding.gyp'), 'utf8')) as { targets: { sources: string[] }[] };
    const needed = ['bin/p2p.js', 'bin/package.json', 'dist/cli/p2p.cjs', 'dist/cli/tui/ink-app.js', 'binding.gyp', 'scripts/addon-failed.js', ...gyp.targets[0].sources];
    const headers = fs.readdirSync(path.join(REPO_ROOT, 'native/src')).filter((f) => f.endsWith('.h')).map((f) => `native/src/${f}`);
    for (const f of [...needed, ...headers]) assert.ok(files.has(f), `${f} is not in the package`);
    assert.ok(![...files].some((f) => f.startsWith('test/') || f.startsWith('build/')), 'tests or a local build shipped');
  });

  it('installs (building the addon), and npx p2p --help and npx p2p topo work', (t: TestContext) => {
    assert.ok(tarball, 'packing failed');
    app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    const inst = run('npm', ['install', '--foreground-scripts', tarball], app);
    if (inst.status !== 0 && OFFLINE.test(inst.stderr)) return t.skip(`the npm registry cannot be reached (${inst.stderr.match(OFFLINE)![0]}): the dependencies cannot be installed`);
    assert.equal(inst.status, 0, inst.stderr);
    assert.ok(fs.existsSync(path.join(app, 'node_modules/p2p/build/Release/p2p_native.node')), 'the addon was not built at install');
    const help = run('npx', ['--no-install', 'p2p', '--help'], app);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /p2p topo/);
    const live = run('npx', ['--no-install', 'p2p', 'topo'], app);
    assert.equal(live.status, 0, live.stderr);
    assert.match(live.stdout, /PCIe fabric from sysfs/);
    // Offline, the installed package and this checkout say the same about the same tree.
    const tree = hwlocRoot('32intel64-2p8co2t+8ve');
    const installed = run('npx', ['--no-install', 'p2p', 'topo', '--json', '--root', tree], app);
    const here = run(process.execPath, [path.join(REPO_ROOT, 'bin/p2p.js'), 'topo', '--json', '--root', tree], REPO_ROOT);
    assert.equal(installed.status, 0, installed.stderr);
    assert.equal(installed.stdout, here.stdout);
  });

  it('with the compiler broken the install still succeeds, p2p works, and bench says it needs the addon', (t: TestContext) => {
    if (!app || !fs.existsSync(path.join(app, 'node_modules/p2p'))) return t.skip('the package was not installed (see the test before)');
    // `npm rebuild p2p` runs the same install script a fresh install runs; CC/CXX=false break node-gyp's build.
    const rebuild = run('npm', ['rebuild', 'p2p', '--foreground-scripts'], app, { CC: 'false', CXX: 'false' });
    assert.equal(rebuild.status, 0, rebuild.stderr);
    assert.match(rebuild.stderr + rebuild.stdout, /the native addon .* could not be built[\s\S]*Needs the addon: p2p bench/);
    assert.ok(!fs.existsSync(path.join(app, 'node_modules/p2p/build/Release/p2p_native.node')), 'an addon is still there');
    const topo = run('npx', ['--no-install', 'p2p', 'topo', '--root', hwlocRoot('32intel64-2p8co2t+8ve')], app);
    assert.equal(topo.status, 0, topo.stderr);
    assert.match(topo.stdout, /PCIe fabric/);
    const bench = run('npx', ['--no-install', 'p2p', 'bench', '/dev/null', '0000:00:00.0'], app);
    assert.equal(bench.status, 2, bench.stdout + bench.stderr);
    const lines = bench.stderr.trim().split('\n');
    assert.equal(lines.length, 1, bench.stderr);
    assert.match(lines[0], /native addon unavailable: .*node_modules\/p2p\/build\/Release\/p2p_native\.node not found .*npx node-gyp rebuild/);
  });
});
