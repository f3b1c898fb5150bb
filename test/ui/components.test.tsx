// The App and its panes rendered by Ink: at 80x24 in a fake terminal, and in ink-testing-library's.
// State assertions go through onState (the model's JSON), screen assertions through the frame text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render as inkTestRender } from 'ink-testing-library';
import { App } from '../../src/ui/App.js';
import type { UiState } from '../../src/ui/state.js';
import { makeTheme } from '../../src/ui/theme.js';
import type { BenchDriver } from '../../src/ui/bench-driver.js';
import type { BenchEvent } from '../../src/ui/state.js';
import { fixtureModel, fixtureState } from './fixture.js';
import { KEYS, press, renderAt, tick, waitFor } from './render-at.js';

const strip = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

function app(columns = 80, rows = 24, extra: { bench?: BenchDriver; benchRefusal?: string } = {}) {
  const model = fixtureModel();
  const states: UiState[] = [];
  const r = renderAt(
    <App model={model} initial={fixtureState(model, columns, rows, { benchRefusal: extra.benchRefusal ?? null })} theme={makeTheme(0)} bench={extra.bench} onState={(s) => states.push(s)} />,
    columns, rows,
  );
  return { ...r, model, states, state: () => states[states.length - 1], screen: () => strip(r.lastFrame()), keys: { stdin: r.stdin, count: () => states.length } };
}

function assertFits(screen: string, columns: number, rows: number) {
  const lines = screen.split('\n');
  assert.equal(lines.length, rows, `frame has ${lines.length} lines, expected ${rows}`);
  for (const l of lines) assert.ok([...l].length <= columns, `line wider than ${columns}: "${l}"`);
}

test('80x24: tab bar, the tree with aliases, BDFs, links and NUMA, and the key hints all fit', async () => {
  const a = app();
  await tick();
  const s = a.screen();
  assertFits(s, 80, 24);
  const lines = s.split('\n');
  assert.match(lines[0], /1 Fabric .*2 Device .*3 Pairs .*4 Doctor .*5 Bench/);
  assert.match(s, /▾ pci0000:00/);
  assert.match(s, /switch 0000:01:00\.0 16GT\/s x16/);
  assert.match(s, /port 02:00\.0 → gpu0 0000:03:00\.0 16GT\/s x16 n0 GPU/);
  assert.match(s, /nic0 0000:06:00\.0 8GT\/s x8↓ of 16GT\/s x16/, 'a downtrained link says so');
  assert.match(lines[23], /Enter details/);
  a.instance.unmount();
});

test('keys move the cursor, open a device and come back', async () => {
  const a = app();
  await tick();
  await press(a.keys, 'j', 'j');
  assert.equal(a.state().selected, '0000:00:01.0');
  await press(a.keys, KEYS.down, KEYS.down);
  assert.equal(a.state().selected, '0000:03:00.0');
  await press(a.keys, KEYS.enter);
  assert.equal(a.state().view, 'details');
  assert.match(a.screen(), /gpu0 0000:03:00\.0 .*lines 1-21 of 44/);
  assert.match(a.screen(), /Identity line 0/);
  await press(a.keys, 'l');
  assert.match(a.screen(), /^Link$/m);
  await press(a.keys, KEYS.esc);
  await waitFor(() => a.state().view === 'tree');
  assert.equal(a.state().view, 'tree');
  a.instance.unmount();
});

test('search: the prompt shows in the status line and the tree narrows to matches', async () => {
  const a = app();
  await tick();
  await press(a.keys, '/', 'n', 'v', 'm', 'e');
  const s = a.screen();
  assert.match(s.split('\n')[23], /^\/nvme█/);
  assert.match(s, /2 matches/);
  assert.doesNotMatch(s, /gpu0/);
  assert.match(s, /nvme0 0000:05:00\.0/);
  assert.match(s, /nvme1 0000:82:00\.0/);
  await press(a.keys, KEYS.enter);
  assert.match(a.screen().split('\n')[23], /2 matches for "nvme"/);
  a.instance.unmount();
});

test('mark two devices, open the path: verdict, hops, bottleneck', async () => {
  const a = app();
  await tick();
  await press(a.keys, '/', 'g', 'p', 'u', '0', KEYS.enter, 'm', '/');
  for (let i = 0; i < 4; i++) await press(a.keys, '\u007f');
  await press(a.keys, 'n', 'v', 'm', 'e', '0', KEYS.enter, 'm', 'p');
  const st = a.state();
  assert.deepEqual(st.marks, ['0000:03:00.0', '0000:05:00.0']);
  assert.equal(st.view, 'pairs');
  const s = a.screen();
  assertFits(s, 80, 24);
  assert.match(s, /Path gpu0 → nvme0/);
  assert.match(s, /✓ BUS_ADDR: direct/);
  assert.match(s, /bottleneck: 0000:05:00\.0 ↔ 0000:02:02\.0 at 8 GT\/s x4/);
  assert.match(s, /from 0000:03:00\.0 gpu0/);
  a.instance.unmount();
});

test('pairs matrix: column labels, verdict glyphs, the cell under the cursor explained', async () => {
  const a = app(100, 30);
  await tick();
  await press(a.keys, '3');
  const s = a.screen();
  assert.match(s, /gpu0 +gpu1 +gpu2 +nvme0/);
  assert.match(s, /●?gpu0 +X +PIX ✓ +SYS ~/);
  assert.match(s, /gpu0 → gpu0: same device/);
  await press(a.keys, 'l');
  assert.match(a.screen(), /gpu0 → gpu1: BUS_ADDR — common upstream bridge 0000:01:00\.0/);
  a.instance.unmount();
});

test('help overlay lists every binding and closes on any key', async () => {
  const a = app();
  await tick();
  await press(a.keys, '?');
  const s = a.screen();
  assert.match(s, /Keys/);
  for (const k of ['↑/k', 'Enter', 'Tab', '/', 'm', 'q']) assert.ok(s.includes(k), `help lists ${k}`);
  assertFits(s, 80, 24);
  await press(a.keys, 'x');
  assert.equal(a.state().help, false);
  a.instance.unmount();
});

test('redraws on resize and stays inside the new size', async () => {
  const a = app(120, 40);
  await tick();
  assertFits(a.screen(), 120, 40);
  a.stdout.resize(80, 24);
  await tick(40);
  assert.deepEqual(a.state().size, { columns: 80, rows: 24 });
  assertFits(a.screen(), 80, 24);
  a.stdout.resize(30, 8);
  await tick(40);
  assert.match(a.screen(), /terminal too small \(30x8\)/);
  a.instance.unmount();
});

test('q and Ctrl-C end the app (waitUntilExit resolves)', async () => {
  for (const k of ['q', KEYS.ctrlC]) {
    const a = app();
    await tick();
    const done = a.instance.waitUntilExit();
    await press(a.keys, k);
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`${JSON.stringify(k)} did not quit`)), 2000))]);
    assert.equal(a.state().quit, true);
  }
});

test('doctor pane (ink-testing-library): severities worst first, evidence and fix of the current finding', async () => {
  const model = fixtureModel();
  const r = inkTestRender(<App model={model} initial={fixtureState(model, 100, 24)} theme={makeTheme(0)} followResize={false} />);
  await tick();
  r.stdin.write('4');
  await waitFor(() => strip(r.lastFrame() ?? '').includes('SKIP (1)'));
  const s = strip(r.lastFrame() ?? '');
  const order = ['FAIL (1)', 'WARN (1)', 'OK (1)', 'SKIP (1)'].map((x) => s.indexOf(x));
  assert.ok(order.every((x) => x >= 0), s);
  assert.deepEqual([...order].sort((x, y) => x - y), order, 'fail, warn, ok, skip');
  assert.match(s, /fix: pci=disable_acs_redir=0000:00:02\.0/);
  assert.match(s, /devices: 0000:00:02\.0, nic0/);
  r.stdin.write('\r');
  await waitFor(() => strip(r.lastFrame() ?? '').includes('1 Fabric') && /▾ pci0000:00/.test(strip(r.lastFrame() ?? '')));
  assert.match(strip(r.lastFrame() ?? ''), /ACS redirect forces peer traffic/);
  r.unmount();
});

test('bench pane (ink-testing-library): live progress, then direct vs bounce; refused on a dump', async () => {
  const hold: { emit: ((e: BenchEvent) => void) | null } = { emit: null };
  let cancelled = false;
  const driver: BenchDriver = {
    start(req, e) {
      assert.equal(req.source, '0000:05:00.0');
      hold.emit = e;
      return { cancel: () => void (cancelled = true), done: Promise.resolve() };
    },
  };
  const model = fixtureModel();
  const r = inkTestRender(<App model={model} initial={fixtureState(model, 100, 24)} theme={makeTheme(0)} bench={driver} followResize={false} />);
  await tick();
  r.stdin.write('5');
  await waitFor(() => /source \(NVMe\)/.test(strip(r.lastFrame() ?? '')));
  assert.match(strip(r.lastFrame() ?? ''), /source \(NVMe\).*destination/);
  assert.match(strip(r.lastFrame() ?? ''), /▶ nvme0 0000:05:00\.0/);
  r.stdin.write('s');
  await waitFor(() => hold.emit !== null);
  assert.ok(hold.emit, 'driver started');
  const emit = hold.emit;
  emit({ kind: 'progress', progress: { path: 'direct', round: 0, rounds: 2, bytes: 3 * 2 ** 30, elapsedSec: 1, gbPerSec: 3.2, fraction: 0.5 } });
  await waitFor(() => /round 1\/2/.test(strip(r.lastFrame() ?? '')));
  let s = strip(r.lastFrame() ?? '');
  assert.match(s, /direct round 1\/2 .*3\.20 GB\/s {2}3\.00 GiB/);
  assert.match(s, /throughput [▁▂▃▄▅▆▇█]+/);
  emit({
    kind: 'done',
    result: {
      runs: [
        { path: 'direct', gbPerSec: 6.1, p99us: 410, cpuSecPerGB: 0.01, failed: null },
        { path: 'bounce', gbPerSec: 4.0, p99us: 900, cpuSecPerGB: 0.2, failed: null },
      ],
      throughputRatio: 1.525, cpuShareSaved: 0.95, directSkipped: null, ok: true,
    },
  });
  await waitFor(() => /direct vs bounce/.test(strip(r.lastFrame() ?? '')));
  s = strip(r.lastFrame() ?? '');
  assert.match(s, /direct +6\.10 GB\/s/);
  assert.match(s, /bounce +4\.00 GB\/s/);
  assert.match(s, /direct vs bounce: 1\.52x throughput, 95% less CPU/);
  assert.equal(cancelled, false);
  r.unmount();

  const m2 = fixtureModel();
  const r2 = inkTestRender(<App model={m2} initial={fixtureState(m2, 100, 24, { benchRefusal: 'the fabric comes from the dump d.txt' })} theme={makeTheme(0)} followResize={false} />);
  await tick();
  r2.stdin.write('5');
  await waitFor(() => /bench unavailable/.test(strip(r2.lastFrame() ?? '')));
  r2.stdin.write('s');
  await waitFor(() => /bench refused/.test(strip(r2.lastFrame() ?? '')));
  s = strip(r2.lastFrame() ?? '');
  assert.match(s, /bench unavailable: the fabric comes from the dump d\.txt/);
  assert.match(s, /bench refused/);
  r2.stdin.write('w');
  await waitFor(() => /write tests are refused/.test(strip(r2.lastFrame() ?? '')));
  assert.match(strip(r2.lastFrame() ?? ''), /write tests are refused in the TUI/);
  r2.unmount();
});

test('NCCL pane (ink-testing-library): pairs with path type and answer, the current pair\'s reasons and the nvidia-smi comparison', async () => {
  const model = fixtureModel();
  const r = inkTestRender(<App model={model} initial={fixtureState(model, 100, 24)} theme={makeTheme(0)} followResize={false} />);
  await tick();
  r.stdin.write('6');
  await waitFor(() => strip(r.lastFrame() ?? '').includes('P2P up to'));
  const s = strip(r.lastFrame() ?? '');
  const first = model.nccl().pairs[0];
  assert.match(s, new RegExp(`${first.path ?? '\\?'}`));
  assert.match(s, /why: /);
  assert.match(s, /vs: /);
  assert.match(s, /6 NCCL/);
  r.unmount();
});

test('R writes the report through the App\'s writer and the status line says where (or why not)', async () => {
  const model = fixtureModel();
  let calls = 0;
  let fail = false;
  const writeReport = async () => {
    calls++;
    if (fail) throw new Error('cannot write p2p-report.html: EACCES');
    return 'wrote p2p-report-x.html (1 MiB)';
  };
  const r = inkTestRender(<App model={model} initial={fixtureState(model, 100, 24)} theme={makeTheme(0)} followResize={false} writeReport={writeReport} />);
  await tick();
  r.stdin.write('R');
  await waitFor(() => strip(r.lastFrame() ?? '').includes('wrote p2p-report-x.html'));
  assert.equal(calls, 1);
  fail = true;
  r.stdin.write('R');
  await waitFor(() => strip(r.lastFrame() ?? '').includes('report failed: cannot write'));
  assert.equal(calls, 2);
  r.unmount();
});
