// The reducer without rendering: every key path the views rely on, from one state to the next.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reduce, treeRows, type Action, type UiState } from '../../src/ui/state.js';
import type { UiModel } from '../../src/ui/model.js';
import type { Command } from '../../src/ui/keymap.js';
import { fixtureModel, fixtureState } from './fixture.js';

function run(model: UiModel, s: UiState, ...cmds: (Command | Action)[]): UiState {
  return cmds.reduce<UiState>((st, c) => reduce(model, st, typeof c === 'string' ? { type: 'command', command: c } : c), s);
}
const key = (input: string, k: Record<string, boolean> = {}): Action => ({ type: 'key', input, key: k });
const typed = (text: string): Action[] => [...text].map((ch) => key(ch));

function selectedBdf(model: UiModel, s: UiState): string | null {
  return s.selected ? model.nodes.get(s.selected)!.bdf : null;
}

test('starts on the tree at the first line, with the first device as the current one', () => {
  const m = fixtureModel();
  const s = fixtureState(m);
  assert.equal(s.view, 'tree');
  assert.equal(s.selected, 'hb:pci0000:00');
  assert.equal(s.device, '0000:00:00.0');
});

test('down/up move through visible rows and stop at the ends', () => {
  const m = fixtureModel();
  let s = fixtureState(m);
  s = run(m, s, 'down', 'down');
  assert.equal(selectedBdf(m, s), '0000:00:01.0');
  s = run(m, s, 'up', 'up', 'up', 'up');
  assert.equal(s.selected, 'hb:pci0000:00');
  s = run(m, s, 'end');
  const rows = treeRows(m, s);
  assert.equal(s.selected, rows[rows.length - 1].id);
  assert.equal(selectedBdf(m, run(m, s, 'down')), selectedBdf(m, s), 'down at the end stays');
});

test('hjkl and arrows reach the same commands through the keymap', () => {
  const m = fixtureModel();
  const s = fixtureState(m);
  assert.deepEqual(run(m, s, key('j')), run(m, s, key('', { downArrow: true })));
  const down2 = run(m, s, key('j'), key('j'));
  assert.deepEqual(run(m, down2, key('k')), run(m, down2, key('', { upArrow: true })));
});

test('the switch is one unit: ports with one device share its line', () => {
  const m = fixtureModel();
  const sw = m.nodes.get('0000:01:00.0')!;
  assert.equal(sw.kind, 'switch');
  const kids = sw.children.map((c) => m.nodes.get(c)!);
  assert.deepEqual(kids.map((k) => [k.bdf, k.port]), [
    ['0000:03:00.0', '0000:02:00.0'],
    ['0000:04:00.0', '0000:02:01.0'],
    ['0000:05:00.0', '0000:02:02.0'],
    ['0000:02:03.0', null],
  ]);
  assert.equal(kids[3].kind, 'port', 'an empty port is its own line');
});

test('left collapses, then goes to the parent; right expands, then enters the first child', () => {
  const m = fixtureModel();
  let s = fixtureState(m);
  s = run(m, s, { type: 'select-device', bdf: '0000:01:00.0' });
  const before = treeRows(m, s).length;
  s = run(m, s, 'left');
  assert.equal(treeRows(m, s).length, before - 4, 'the switch folded its four lines');
  assert.equal(selectedBdf(m, s), '0000:01:00.0');
  s = run(m, s, 'left');
  assert.equal(selectedBdf(m, s), '0000:00:01.0', 'second left goes to the parent');
  s = run(m, s, 'down', 'right');
  assert.equal(treeRows(m, s).length, before);
  s = run(m, s, 'right');
  assert.equal(selectedBdf(m, s), '0000:03:00.0');
});

test('space toggles a branch; collapse-all leaves only the host bridges; expand-all restores', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m), 'toggle');
  const folded = treeRows(m, s);
  assert.equal(folded[0].collapsed, true);
  assert.equal(folded[1].id, 'hb:pci0000:80', 'the next line is the other host bridge');
  assert.equal(treeRows(m, run(m, s, 'toggle')).length, m.nodes.size);
  s = run(m, fixtureState(m), { type: 'select-device', bdf: '0000:04:00.0' }, 'collapse-all');
  assert.deepEqual(treeRows(m, s).map((r) => r.id), ['hb:pci0000:00', 'hb:pci0000:80']);
  assert.equal(s.selected, 'hb:pci0000:00', 'selection moves to its top-level line');
  s = run(m, s, 'expand-all');
  assert.equal(treeRows(m, s).length, m.nodes.size);
});

test('search filters as you type, keeps ancestors for context, Enter keeps it, n/N move between matches', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m), key('/'), ...typed('gpu'));
  assert.ok(s.search, 'prompt open');
  assert.equal(s.query, 'gpu');
  const rows = treeRows(m, s);
  const matches = rows.filter((r) => r.match).map((r) => m.nodes.get(r.id)!.bdf);
  assert.deepEqual(matches, ['0000:03:00.0', '0000:04:00.0', '0000:81:00.0']);
  assert.ok(rows.some((r) => r.id === '0000:01:00.0' && !r.match), 'the switch shows as context');
  assert.equal(selectedBdf(m, s), '0000:03:00.0', 'cursor jumps to the first match');
  s = run(m, s, key('', { return: true }));
  assert.equal(s.search, null);
  assert.match(s.message!.text, /3 matches/);
  s = run(m, s, key('n'));
  assert.equal(selectedBdf(m, s), '0000:04:00.0');
  s = run(m, s, key('n'), key('n'));
  assert.equal(selectedBdf(m, s), '0000:03:00.0', 'wraps');
  s = run(m, s, key('N'));
  assert.equal(selectedBdf(m, s), '0000:81:00.0');
  s = run(m, s, key('', { escape: true }));
  assert.equal(s.query, '', 'Esc clears the search');
  assert.equal(selectedBdf(m, s), '0000:81:00.0', 'selection kept');
});

test('search by BDF and by kernel name; Esc while typing restores the previous query; backspace edits', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m), key('/'), ...typed('06:00'));
  assert.equal(selectedBdf(m, s), '0000:06:00.0');
  s = run(m, s, key('', { backspace: true }), key('', { backspace: true }), key('', { backspace: true }), key('', { backspace: true }), key('', { backspace: true }), ...typed('ens1f0'));
  assert.equal(s.query, 'ens1f0');
  assert.equal(selectedBdf(m, s), '0000:06:00.0');
  s = run(m, s, key('', { escape: true }));
  assert.equal(s.query, '');
  assert.equal(s.search, null);
  s = run(m, s, key('/'), ...typed('zzz'), key('', { return: true }));
  assert.equal(treeRows(m, s).length, 0);
  assert.equal(s.message!.tone, 'warn');
});

test('Ctrl-C quits even while typing a search; q quits; q in the prompt is text', () => {
  const m = fixtureModel();
  assert.equal(run(m, fixtureState(m), key('/'), key('c', { ctrl: true })).quit, true);
  assert.equal(run(m, fixtureState(m), key('q')).quit, true);
  const s = run(m, fixtureState(m), key('/'), key('q'));
  assert.equal(s.quit, false);
  assert.equal(s.query, 'q');
});

test('class filter cycles and shows only that class', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m), 'cycle-class');
  assert.equal(s.classFilter, 'gpu');
  assert.equal(treeRows(m, s).filter((r) => r.match).length, 3);
  s = run(m, s, 'cycle-class');
  assert.equal(s.classFilter, 'nvme');
  assert.deepEqual(treeRows(m, s).filter((r) => r.match).map((r) => m.nodes.get(r.id)!.bdf), ['0000:05:00.0', '0000:82:00.0']);
  s = run(m, s, 'clear-filter');
  assert.equal(s.classFilter, 'all');
});

test('Enter on a device opens its details; sections jump with left/right; Esc goes back', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m), { type: 'select-device', bdf: '0000:03:00.0' }, 'open');
  assert.equal(s.view, 'details');
  assert.equal(s.device, '0000:03:00.0');
  s = run(m, s, 'right');
  assert.equal(s.details.top, 21, 'next heading (Link)');
  s = run(m, s, 'right');
  assert.equal(s.details.top, 44 - (24 - 3), 'clamped to the last page');
  s = run(m, s, 'home', 'down', 'down');
  assert.equal(s.details.top, 2);
  s = run(m, s, 'left');
  assert.equal(s.details.top, 0);
  s = run(m, s, 'back');
  assert.equal(s.view, 'tree');
});

test('marking two devices opens the path between them in the Pairs pane', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m), key('/'), ...typed('gpu0'), key('', { return: true }), key('m'));
  assert.deepEqual(s.marks, ['0000:03:00.0']);
  s = run(m, s, 'clear-filter', { type: 'select-device', bdf: '0000:05:00.0' }, key('m'));
  assert.deepEqual(s.marks, ['0000:03:00.0', '0000:05:00.0']);
  assert.match(s.message!.text, /marked gpu0 and nvme0/);
  s = run(m, s, key('p'));
  assert.equal(s.view, 'pairs');
  assert.deepEqual(s.pairs.path, { a: '0000:03:00.0', b: '0000:05:00.0' });
  assert.equal(m.endpoints[s.pairs.row].bdf, '0000:03:00.0');
  assert.equal(m.endpoints[s.pairs.col].bdf, '0000:05:00.0');
  // A third mark replaces the oldest; marking again unmarks.
  s = run(m, s, 'view-tree', { type: 'select-device', bdf: '0000:81:00.0' }, 'mark');
  assert.deepEqual(s.marks, ['0000:05:00.0', '0000:81:00.0']);
  s = run(m, s, 'mark');
  assert.deepEqual(s.marks, ['0000:05:00.0']);
  s = run(m, s, 'clear-marks');
  assert.deepEqual(s.marks, []);
});

test('pairs: the selected device is the cursor row; arrows move; Enter opens the path; Esc closes it', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m), { type: 'select-device', bdf: '0000:04:00.0' }, 'view-pairs');
  assert.equal(m.endpoints[s.pairs.row].bdf, '0000:04:00.0');
  s = run(m, s, 'right', 'right', 'down');
  assert.equal(s.device, m.endpoints[s.pairs.row].bdf, 'the row is the current device');
  s = run(m, s, 'open');
  assert.deepEqual(s.pairs.path, { a: m.endpoints[s.pairs.row].bdf, b: m.endpoints[s.pairs.col].bdf });
  s = run(m, s, 'page-down');
  assert.ok(s.pairs.pathTop > 0, 'J scrolls the path');
  s = run(m, s, 'back');
  assert.equal(s.pairs.path, null);
  s = run(m, s, 'back');
  assert.equal(s.view, 'tree');
});

test('pair cells carry the kernel verdict: same switch is direct, ACS redirect or other host bridge is not', () => {
  const m = fixtureModel();
  const i = (b: string) => m.endpointIndex.get(b)!;
  assert.equal(m.pair(i('0000:03:00.0'), i('0000:04:00.0')).mapType, 'BUS_ADDR');
  assert.equal(m.pair(i('0000:03:00.0'), i('0000:04:00.0')).legend, 'PIX');
  assert.notEqual(m.pair(i('0000:03:00.0'), i('0000:81:00.0')).mapType, 'BUS_ADDR');
  assert.equal(m.pair(i('0000:03:00.0'), i('0000:81:00.0')).legend, 'SYS');
});

test('doctor: findings ordered worst first; Enter jumps to the device, unfolding and unfiltering as needed', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m), 'collapse-all', 'cycle-class', 'view-doctor');
  assert.equal(s.view, 'doctor');
  s = run(m, s, 'open');
  assert.equal(s.view, 'tree');
  assert.equal(selectedBdf(m, s), '0000:00:02.0', 'first finding is the failure');
  assert.ok(treeRows(m, s).some((r) => r.id === s.selected), 'visible');
  assert.equal(s.classFilter, 'all', 'a filter hiding it was cleared');
  s = run(m, s, 'view-doctor', 'down', 'open');
  assert.equal(selectedBdf(m, s), '0000:06:00.0');
  s = run(m, s, 'view-doctor', 'down', 'open');
  assert.equal(s.view, 'doctor', 'a finding with no device stays');
  assert.equal(s.message!.tone, 'warn');
});

test('bench: refused on an offline source; write tests refused; a run goes starting -> running -> done', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m, 80, 24, { benchRefusal: 'the fabric comes from the dump x' }), 'view-bench', 'bench-start');
  assert.equal(s.bench.phase, 'idle');
  assert.match(s.message!.text, /refused: the fabric comes from the dump/);
  s = run(m, s, 'bench-write');
  assert.match(s.message!.text, /write tests are refused/);

  s = run(m, fixtureState(m), 'view-bench', 'right', 'down', 'open');
  assert.equal(s.bench.phase, 'starting');
  assert.deepEqual(s.bench.request, { id: 1, source: '0000:05:00.0', dest: m.benchDestinations[1] === 'host' ? 'host' : (m.benchDestinations[1] as { bdf: string }).bdf });
  const again = run(m, s, 'bench-start');
  assert.equal(again.bench.request!.id, 1, 'no second run while one is going');
  s = run(m, s, { type: 'bench', id: 1, event: { kind: 'progress', progress: { path: 'direct', round: 0, rounds: 2, bytes: 1e9, elapsedSec: 0.5, gbPerSec: 2, fraction: 0.25 } } });
  assert.equal(s.bench.phase, 'running');
  assert.deepEqual(s.bench.samples, [2]);
  s = run(m, s, { type: 'bench', id: 0, event: { kind: 'failed', message: 'stale' } });
  assert.equal(s.bench.phase, 'running', 'events of an older run are ignored');
  s = run(m, s, 'bench-cancel');
  assert.equal(s.bench.phase, 'cancelling');
  s = run(m, s, { type: 'bench', id: 1, event: { kind: 'done', cancelled: true, result: { runs: [], throughputRatio: null, cpuShareSaved: null, directSkipped: null, ok: false } } });
  assert.equal(s.bench.phase, 'done');
  assert.equal(s.message!.text, 'bench cancelled');
});

test('help opens with ? and any key closes it; Tab cycles panes both ways', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m), key('?'));
  assert.equal(s.help, true);
  s = run(m, s, key('j'));
  assert.equal(s.help, false);
  assert.equal(s.selected, fixtureState(m).selected, 'the closing key does nothing else');
  const views = [];
  for (let i = 0; i < 6; i++) {
    s = run(m, s, key('', { tab: true }));
    views.push(s.view);
  }
  assert.deepEqual(views, ['details', 'pairs', 'doctor', 'bench', 'nccl', 'tree']);
  assert.equal(run(m, s, key('', { tab: true, shift: true })).view, 'nccl');
});

test('resize keeps the cursor on screen', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m, 80, 40), 'end');
  assert.equal(s.treeTop, 0, 'everything fits in 40 rows');
  s = run(m, s, { type: 'resize', columns: 80, rows: 12 });
  const rows = treeRows(m, s);
  const cursor = rows.findIndex((r) => r.id === s.selected);
  assert.ok(cursor >= s.treeTop && cursor < s.treeTop + (12 - 4), `cursor ${cursor} visible from ${s.treeTop}`);
});

test('a chunk of several keys (fast typing, paste, tmux) is taken key by key: "gpu1\\r" searches and accepts', () => {
  const m = fixtureModel();
  let s = run(m, fixtureState(m), key('/'), key('gpu1\r'));
  assert.equal(s.search, null, 'accepted');
  assert.equal(s.query, 'gpu1');
  assert.equal(selectedBdf(m, s), '0000:04:00.0');
  s = run(m, fixtureState(m), key('jjj'));
  assert.equal(s.selected, '0000:01:00.0', 'three downs');
});

test('Esc then q typed quickly (one Alt+q chunk) closes the overlay and quits', () => {
  const m = fixtureModel();
  const s = run(m, fixtureState(m), key('?'), key('q', { meta: true }));
  assert.equal(s.help, false);
  assert.equal(s.quit, true);
});

test('NCCL pane: 6 opens it, the cursor walks the pairs and stops at the ends, Esc goes back', () => {
  const m = fixtureModel();
  const n = m.nccl().pairs.length;
  assert.ok(n > 0, 'the fixture has GPU/NIC pairs');
  let s = run(m, fixtureState(m), key('6'));
  assert.equal(s.view, 'nccl');
  s = run(m, s, 'down', 'down');
  assert.equal(s.nccl.cursor, Math.min(2, n - 1));
  s = run(m, s, 'end', 'down');
  assert.equal(s.nccl.cursor, n - 1);
  s = run(m, s, 'home', 'up');
  assert.equal(s.nccl.cursor, 0);
  assert.equal(run(m, s, 'back').view, 'tree');
});
