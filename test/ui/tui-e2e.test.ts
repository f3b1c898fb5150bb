// End to end in a real terminal: tmux runs `p2p tui` on a real lspci dump at 80x24, keys go in with
// send-keys, the screen comes back with capture-pane at every step. Bounded: every wait polls with a
// deadline and the tmux server is killed in `finally`. Needs no terminal on our own stdin (CI).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haveCommand, haveRefdata, PCIUTILS_DUMPS, REPO_ROOT } from '../helpers/refdata.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';

const DUMP = path.join(PCIUTILS_DUMPS, 'tree-asus-p6t6');
const skip = !haveCommand('tmux') ? 'tmux is not installed (apt-get install tmux)' : !haveRefdata() ? 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' : false;

/** `p2p tui` through bin/p2p.js when the CLI lists it, else through the command module's own entry. */
let argvCache: string[] | null = null;
function tuiArgv(): string[] {
  if (argvCache) return argvCache;
  const help = runCli(['tui', '--help']);
  argvCache = help.code === 0 && /Interactive explorer/.test(help.stdout)
    ? [path.join(REPO_ROOT, 'bin/p2p.js'), 'tui']
    : [path.join(REPO_ROOT, 'dist/test/ui/tui-main.js'), 'tui'];
  return argvCache;
}

class Tmux {
  readonly socket = `p2p-tui-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  /** Every byte the program wrote to the pane (pipe-pane), to check the terminal modes it leaves. */
  readonly log = path.join(tempDirRemovedAtExit('p2p-tui-e2e-'), 'pane.log');
  bytes(): string {
    try {
      return fs.readFileSync(this.log, 'latin1');
    } catch {
      return '';
    }
  }
  /** After the program: the alternate screen left after it was entered, the cursor shown, and nothing drawn after. */
  assertRestored(what: string): void {
    const b = this.bytes();
    const enter = b.lastIndexOf('\u001b[?1049h');
    const leave = b.lastIndexOf('\u001b[?1049l');
    assert.ok(enter >= 0, `${what}: entered the alternate screen`);
    assert.ok(leave > enter, `${what}: left the alternate screen`);
    assert.ok(b.lastIndexOf('\u001b[?25h') > b.lastIndexOf('\u001b[?25l'), `${what}: cursor shown again`);
    const after = b.slice(leave + 8);
    assert.doesNotMatch(after, /\u001b\[[0-9;]*[HJK]|Fabric/, `${what}: nothing drawn on the main screen afterwards: ${JSON.stringify(after.slice(0, 80))}`);
  }
  run(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 10000 });
  }
  start(cmd: string, columns: number, rows: number, env: Record<string, string>): void {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    this.run('new-session', '-d', '-x', String(columns), '-y', String(rows), ...envArgs, cmd);
    this.run('set-option', '-g', 'remain-on-exit', 'on');
    this.run('pipe-pane', '-t', '0', '-o', `cat >> ${shellQuote(this.log)}`);
  }
  screen(): string {
    return this.run('capture-pane', '-p', '-t', '0');
  }
  keys(...keys: string[]): void {
    for (const k of keys) this.run('send-keys', '-t', '0', k);
  }
  literal(text: string): void {
    this.run('send-keys', '-t', '0', '-l', text);
  }
  altScreen(): boolean {
    return this.run('display-message', '-p', '-t', '0', '#{alternate_on}').trim() === '1';
  }
  paneDead(): boolean {
    return this.run('display-message', '-p', '-t', '0', '#{pane_dead}').trim() === '1';
  }
  /** Generous deadline: the first frame loads Node, Ink and React, slow on a busy CI machine. */
  async until(what: string, pred: (screen: string) => boolean, timeoutMs = 45000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let s = '';
    while (Date.now() < end) {
      s = this.screen();
      if (pred(s)) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`timed out waiting for ${what}; screen was:\n${s}`);
  }
  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore', timeout: 5000 });
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command tmux runs: the TUI, then a marker with its exit code so the test can read it. */
function command(extraEnv = '', entry: string[] = tuiArgv()): string {
  const argv = [process.execPath, ...entry, '--dump', DUMP].map(shellQuote).join(' ');
  return `printf 'before-tui\\n'; env -u CI -u CONTINUOUS_INTEGRATION ${extraEnv} ${argv}; echo "TUI-EXIT=$?"`;
}

const ENV = { TERM: 'xterm-256color', NO_COLOR: '1', LANG: 'C.UTF-8' };

test('tmux 80x24: navigate, search, open a device, mark two devices, open the path, quit', { skip, timeout: 300000 }, async () => {
  const t = new Tmux();
  try {
    t.start(command(), 80, 24, ENV);
    let s = await t.until('the first frame', (x) => /1 Fabric/.test(x) && /53 functions/.test(x));
    assert.ok(t.altScreen(), 'runs on the alternate screen');
    const lines = s.replace(/\n+$/, '').split('\n');
    assert.ok(lines.length <= 24);
    for (const l of lines) assert.ok([...l].length <= 80, `line fits 80 columns: ${l}`);
    assert.match(s, /▾ pci0000:00/);
    assert.match(s, /switch 0000:02:00\.0/, 'the NF200 switch is drawn as one unit');

    // navigate
    t.keys('j', 'j', 'Down');
    s = await t.until('the cursor on line 4', (x) => /4\/54/.test(x));

    // search
    t.keys('/');
    t.literal('disk1');
    s = await t.until('the search prompt and its match', (x) => /\/disk1/.test(x) && /1 match/.test(x));
    t.keys('Enter');
    s = await t.until('the search kept', (x) => /1 match for "disk1"/.test(x));
    assert.match(s, /disk1 0000:04:00\.0/);

    // open the device
    t.keys('Enter');
    s = await t.until('the device pane', (x) => /disk1 0000:04:00\.0 +lines 1-/.test(x));
    assert.match(s, /Device/);
    assert.match(s, /Config space/);

    // mark it, then a second device, then open the path
    t.keys('m');
    await t.until('first mark', (x) => /marked disk1/.test(x));
    t.keys('Escape', 'Escape');
    await t.until('back on the whole tree', (x) => /▾ pci0000:00/.test(x) && !/search "/.test(x));
    t.keys('/');
    t.literal('gpu0');
    t.keys('Enter');
    await t.until('second device found', (x) => /1 match for "gpu0"/.test(x));
    t.keys('m');
    s = await t.until('two marks', (x) => /marked disk1 and gpu0/.test(x));
    t.keys('p');
    s = await t.until('the path pane', (x) => /Path disk1 → gpu0/.test(x));
    assert.match(s, /from 0000:04:00\.0 disk1/);
    assert.match(s, /(BUS_ADDR|THRU_HOST_BRIDGE|NOT_SUPPORTED|unknown)/, 'a verdict');
    assert.match(s, /bottleneck/);
    for (const l of s.replace(/\n+$/, '').split('\n')) assert.ok([...l].length <= 80, `line fits 80 columns: ${l}`);

    // help, then quit
    t.keys('?');
    await t.until('the help overlay', (x) => /any key closes this/.test(x));
    t.keys('Escape');
    await t.until('the overlay closed', (x) => !/any key closes this/.test(x));
    t.keys('q');
    s = await t.until('the exit marker', (x) => /TUI-EXIT=\d+/.test(x));
    assert.match(s, /TUI-EXIT=0/);
    t.assertRestored('quit');
    assert.doesNotMatch(s, /1 Fabric/, 'nothing of the TUI left on the main screen');
    assert.equal(t.altScreen(), false, 'alternate screen left');
  } finally {
    t.kill();
  }
});

test('tmux: redraws on resize; Ctrl-C quits and restores the terminal', { skip, timeout: 180000 }, async () => {
  const t = new Tmux();
  try {
    t.start(command(), 120, 40, ENV);
    await t.until('the first frame', (x) => /1 Fabric/.test(x));
    t.run('resize-window', '-t', '0', '-x', '80', '-y', '24');
    const s = await t.until('a frame at 80x24', (x) => x.replace(/\n+$/, '').split('\n').length <= 24 && /1 Fabric/.test(x) && /Enter details/.test(x));
    for (const l of s.split('\n')) assert.ok([...l].length <= 80, `line fits 80 columns: ${l}`);
    t.keys('C-c');
    const end = await t.until('the exit marker', (x) => /TUI-EXIT=\d+/.test(x));
    assert.match(end, /TUI-EXIT=0/);
    assert.equal(t.altScreen(), false);
    t.assertRestored('Ctrl-C');
  } finally {
    t.kill();
  }
});

test('tmux: SIGTERM and a crash both leave the terminal restored', { skip, timeout: 180000 }, async () => {
  for (const mode of ['sigterm', 'crash'] as const) {
    const t = new Tmux();
    try {
      // The crash comes from an observer the test's own entry hands to runTui, not from a product switch.
      t.start(command('', mode === 'crash' ? [path.join(REPO_ROOT, 'dist/test/ui/tui-crash-main.js')] : tuiArgv()), 80, 24, ENV);
      await t.until('the first frame', (x) => /1 Fabric/.test(x));
      if (mode === 'sigterm') {
        const pid = t.run('display-message', '-p', '-t', '0', '#{pane_pid}').trim();
        // The pane runs sh; the TUI is its child.
        const child = execFileSync('pgrep', ['-P', pid], { encoding: 'utf8' }).trim().split('\n')[0];
        process.kill(Number(child), 'SIGTERM');
      } else {
        t.keys('j');
      }
      const s = await t.until('the exit marker', (x) => /TUI-EXIT=\d+/.test(x));
      assert.equal(t.altScreen(), false, `${mode}: alternate screen left`);
      t.assertRestored(mode);
      if (mode === 'sigterm') assert.match(s, /TUI-EXIT=143/);
      else {
        assert.match(s, /test crash/, 'the crash is reported');
        assert.match(s, /TUI-EXIT=[1-9]\d*/, 'with a failure status');
      }
      assert.doesNotMatch(s, /1 Fabric/, `${mode}: nothing of the TUI left on the main screen`);
    } finally {
      t.kill();
    }
  }
});

test('not a terminal: one line pointing to the text commands, exit 2', { skip: haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' }, () => {
  const tmp = tempDirRemovedAtExit('p2p-tui-');
  const r = spawnSync(process.execPath, [...tuiArgv(), '--dump', DUMP], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000, cwd: tmp });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^p2p: p2p tui needs a terminal .* p2p topo, p2p show DEVICE, p2p matrix, p2p path A B, p2p doctor$/);
});
