// The keymap, the theme's colour decisions and the terminal guard, without rendering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { BINDINGS, keyToCommand, keyToSearchCommand, normaliseKey } from '../../src/ui/keymap.js';
import { colorDepth, makeTheme } from '../../src/ui/theme.js';
import { enterAltScreen, ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN, SHOW_CURSOR, signalExitCode } from '../../src/ui/terminal.js';
import { groupFindings, normalizeFindings } from '../../src/ui/doctor.js';
import { benchRefusal, resultFromReport } from '../../src/ui/bench-driver.js';
import { fixtureFabric } from './fixture.js';

test('every key name is bound once; every command reachable', () => {
  const seen = new Map<string, string>();
  for (const b of BINDINGS) for (const k of b.keys) {
    assert.ok(!seen.has(k), `${k} bound to ${seen.get(k)} and ${b.command}`);
    seen.set(k, b.command);
  }
  for (const c of ['up', 'down', 'left', 'right', 'open', 'back', 'next-view', 'search', 'mark', 'help', 'quit']) {
    assert.ok(BINDINGS.some((b) => b.command === c), c);
  }
});

test('arrows and hjkl, Enter, Tab/Shift-Tab, Esc, Ctrl-C, q', () => {
  assert.equal(keyToCommand('', { upArrow: true }), 'up');
  assert.equal(keyToCommand('k', {}), 'up');
  assert.equal(keyToCommand('j', {}), 'down');
  assert.equal(keyToCommand('h', {}), 'left');
  assert.equal(keyToCommand('l', {}), 'right');
  assert.equal(keyToCommand('', { return: true }), 'open');
  assert.equal(keyToCommand('', { tab: true }), 'next-view');
  assert.equal(keyToCommand('', { tab: true, shift: true }), 'prev-view');
  assert.equal(keyToCommand('', { escape: true }), 'back');
  assert.equal(keyToCommand('c', { ctrl: true }), 'quit');
  assert.equal(keyToCommand('q', {}), 'quit');
  assert.equal(keyToCommand('/', {}), 'search');
  assert.equal(keyToCommand('G', { shift: true }), 'end');
  assert.equal(keyToCommand('Z', { shift: true }), null);
  assert.equal(normaliseKey(' ', {}), 'space');
  assert.equal(keyToCommand('j', {}, 'help'), 'back', 'any key closes help');
  assert.equal(keyToCommand('c', { ctrl: true }, 'help'), 'quit');
});

test('the search prompt takes text, drops control characters, keeps Ctrl-C as quit', () => {
  assert.deepEqual(keyToSearchCommand('q', {}), { type: 'search-char', text: 'q' });
  assert.deepEqual(keyToSearchCommand('', { return: true }), { type: 'search-accept' });
  assert.deepEqual(keyToSearchCommand('', { escape: true }), { type: 'search-cancel' });
  assert.deepEqual(keyToSearchCommand('', { backspace: true }), { type: 'search-backspace' });
  assert.deepEqual(keyToSearchCommand('c', { ctrl: true }), { type: 'quit' });
  assert.equal(keyToSearchCommand('\u0007', {}), null);
});

test('colour depth: NO_COLOR wins, FORCE_COLOR levels, dumb terminals, the terminal\'s own report', () => {
  const tty = (d: number) => ({ isTTY: true, getColorDepth: () => d });
  assert.equal(colorDepth({ NO_COLOR: '1', FORCE_COLOR: '3' }, tty(24)), 0);
  assert.equal(colorDepth({ NO_COLOR: '' }, tty(8)), 8, 'an empty NO_COLOR does not count');
  assert.equal(colorDepth({ FORCE_COLOR: '0' }, tty(24)), 0);
  assert.equal(colorDepth({ FORCE_COLOR: '1' }, tty(1)), 4);
  assert.equal(colorDepth({ TERM: 'dumb' }, tty(24)), 0);
  assert.equal(colorDepth({}, tty(4)), 4);
  assert.equal(colorDepth({}, tty(24)), 24);
  assert.equal(colorDepth({}, { isTTY: false }), 0);
});

test('themes: no colour under NO_COLOR (selection by inverse), only the 16 basic names on a 16-colour terminal', () => {
  const none = makeTheme(0);
  const flat = (t: object): unknown[] => Object.values(t).flatMap((v) => (v && typeof v === 'object' ? flat(v) : [v]));
  assert.ok(flat({ ...none, depth: undefined, selection: { ...none.selection, inverse: undefined }, highlight: { ...none.highlight, bold: undefined } }).every((v) => v === undefined));
  assert.equal(none.selection.inverse, true);
  const basic = makeTheme(4);
  const names = new Set(['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white', 'gray']);
  for (const v of flat(basic)) if (typeof v === 'string') assert.ok(names.has(v), `${v} is a basic colour`);
  assert.match(String(makeTheme(24).status.ok), /^#/);
});

class FakeProc extends EventEmitter {}
class Out {
  written = '';
  isTTY = true;
  write(s: string) {
    this.written += s;
    return true;
  }
}

test('alternate screen: entered once, restored once, with the cursor shown and raw mode undone', () => {
  const proc = new FakeProc();
  const out = new Out();
  let raw = false;
  const stdin = { isTTY: true, get isRaw() { return raw; }, setRawMode(m: boolean) { raw = m; } };
  const g = enterAltScreen({ stdout: out, stdin, proc });
  assert.ok(out.written.startsWith(ENTER_ALT_SCREEN));
  raw = true; // Ink turned raw mode on
  g.restore();
  g.restore();
  assert.equal(out.written.split(LEAVE_ALT_SCREEN).length - 1, 1, 'left exactly once');
  assert.ok(out.written.includes(SHOW_CURSOR));
  assert.equal(raw, false);
  assert.equal(proc.listenerCount('exit') + proc.listenerCount('SIGTERM'), 0, 'handlers removed');
});

test('alternate screen: a crash (process exit) and a signal restore it, after unmounting the app', () => {
  const proc = new FakeProc();
  const out = new Out();
  const order: string[] = [];
  enterAltScreen({ stdout: out, proc, writeSync: (s) => { order.push('restore'); out.write(s); }, beforeForcedRestore: () => order.push('unmount') });
  proc.emit('exit', 1);
  assert.deepEqual(order, ['unmount', 'restore']);
  assert.ok(out.written.endsWith(LEAVE_ALT_SCREEN));

  const proc2 = new FakeProc();
  const out2 = new Out();
  const seen: string[] = [];
  const g = enterAltScreen({ stdout: out2, proc: proc2, beforeForcedRestore: () => seen.push('unmount'), onSignal: (s) => seen.push(s) });
  proc2.emit('SIGTERM', 'SIGTERM');
  assert.deepEqual(seen, ['unmount', 'SIGTERM']);
  assert.equal(g.signal, 'SIGTERM');
  assert.ok(out2.written.includes(LEAVE_ALT_SCREEN));
  assert.equal(signalExitCode('SIGTERM'), 143);
  assert.equal(signalExitCode('SIGHUP'), 129);
  assert.equal(signalExitCode(null), 0);
});

test('doctor findings: any reasonable shape normalised, grouped worst first', () => {
  const f = normalizeFindings([
    { id: 'a', title: 'A', status: 'ok', evidence: 'one line', devices: [] },
    { id: 'b', title: 'B', status: 'fail', evidence: ['x', 'y'], fix: ['do this', 'then that'], devices: ['0000:01:00.0'] },
    { id: 'c', title: 'C', status: 'warn', evidence: [], fix: { text: 'reseat' }, devices: [{ bdf: '0000:02:00.0' }] },
  ]);
  assert.deepEqual(f[0].evidence, ['one line']);
  assert.equal(f[1].fix, 'do this; then that');
  assert.deepEqual(f[2].devices, ['0000:02:00.0']);
  assert.equal(f[2].fix, 'reseat');
  assert.deepEqual(groupFindings(f).map((g) => g.status), ['fail', 'warn', 'ok']);
});

test('bench: refused on dumps, snapshots and captured trees; typed report mapped', () => {
  const fab = fixtureFabric();
  assert.match(benchRefusal({ ...fab, source: { method: 'dump', location: 'x.txt', live: false } })!, /dump x\.txt/);
  assert.match(benchRefusal({ ...fab, source: { method: 'sysfs', location: '/tmp/tree', live: false } })!, /captured tree/);
  assert.equal(benchRefusal({ ...fab, source: { method: 'sysfs', location: '/', live: true } }), null);
  const run = (over: object) => ({ path: 'direct', gbPerSec: 5, latencyUs: { p99: 100 }, cpuPerGB: { total: 0.1 }, error: null, cancelled: false, verify: { checked: true, ok: true }, ...over });
  const r = resultFromReport({
    doc: {
      runs: [run({}), run({ path: 'bounce', gbPerSec: 4, verify: { checked: true, ok: false } })],
      savings: { throughputRatio: 1.25, cpuShareSaved: 0.5 }, directSkipped: null, ok: false,
    },
  } as never);
  assert.equal(r.runs[0].failed, null);
  assert.equal(r.runs[1].failed, 'data mismatch');
  assert.equal(r.throughputRatio, 1.25);
});
