// The TUI's first frame from part of the fabric (src/ui/early-frame.ts) against the frame the full
// fabric gives: the same text on real machines' trees, generated fabrics and fabrics with every odd
// per-function case mixed in, at several terminal sizes, for root and for a non-root reader; and only
// a small part of a large fabric read in full.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateFabric } from '../../bench/gen-fabric.js';
import { loadPciIds } from '../../src/access/load.js';
import { readSysfsFabricFromOutline, readSysfsOutline, readSysfsPartial } from '../../src/access/sysfs.js';
import { readSysfsDirWithFs, sysfsDirReaderFromAddon, type SysfsDirReader } from '../../src/access/sysfs-dir-reader.js';
import * as addon from '../../src/native/addon.js';
import { buildFabric } from '../../src/model/topology.js';
import { earlyFirstFrame } from '../../src/ui/early-frame.js';
import { firstFrame } from '../../src/ui/first-frame.js';
import { buildModel } from '../../src/ui/model.js';
import { initialState } from '../../src/ui/state.js';
import { nobodyCannotRead, RUNUSER } from '../helpers/as-nobody.js';
import { haveCommand, haveRefdata, hwlocRoot, HWLOC_TREES, REPO_ROOT } from '../helpers/refdata.js';
import { buildEdgeTree, scrambleFabric } from '../helpers/sysfs-edge-trees.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-early-'));
fs.chmodSync(base, 0o755); // the non-root test reads the trees as nobody
after(() => fs.rmSync(base, { recursive: true, force: true }));

const pciIds = loadPciIds();
const reader: SysfsDirReader = addon.addonStatus().loaded ? sysfsDirReaderFromAddon(addon) : readSysfsDirWithFs;
const SIZES: [number, number][] = [[80, 24], [120, 40], [50, 12], [200, 60]];

/**
 * The early frame (on any fabric, however much of it the frame needs, unless `policy` says otherwise)
 * with the sizes of the sets it read in full, and the full fabric's frame.
 */
function frames(root: string, columns: number, rows: number, policy: { minFunctions?: number; maxFullShare?: number } = { minFunctions: 0, maxFullShare: 1 }) {
  const outline = readSysfsOutline(root, { readDir: reader });
  const asked: number[] = [];
  const early = earlyFirstFrame(
    { functions: outline.functions, partial: (full) => (asked.push(full.size), readSysfsPartial(outline, full)) },
    { columns, rows, pciIds, ...policy },
  );
  const model = buildModel(buildFabric(readSysfsFabricFromOutline(outline), { pciIds }));
  const viaLinks = outline.functions.every((fn) => fn.viaLink);
  return { early, full: firstFrame(model, initialState(model, { columns, rows })), asked, total: outline.functions.length, viaLinks };
}

function generated(name: string, functions: number, seed?: number): string {
  const root = path.join(base, name);
  generateFabric(root, { functions });
  return seed === undefined ? root : scrambleFabric(root, seed);
}

describe('the first frame from part of the fabric', () => {
  it('is the full fabric\'s on real machines\' trees', { skip: haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' }, () => {
    let drawn = 0;
    for (const name of HWLOC_TREES) {
      for (const [columns, rows] of SIZES) {
        const f = frames(hwlocRoot(name), columns, rows);
        // Some captures hold plain directories for the bus's entries: no paths to place functions by.
        if (!f.viaLinks) {
          assert.equal(f.early, null, name);
          continue;
        }
        drawn++;
        assert.equal(f.early, f.full, `${name} ${columns}x${rows}`);
      }
    }
    assert.ok(drawn >= 3 * SIZES.length, `${drawn} drawn`);
  });

  it('is the full fabric\'s on generated fabrics, plain and with odd cases mixed in, reading part of them', () => {
    const roots = [generated('plain', 400), generated('mixed1', 400, 1), generated('mixed2', 400, 2)];
    for (const root of roots) {
      for (const [columns, rows] of SIZES) {
        const f = frames(root, columns, rows);
        assert.ok(f.early !== null, `${root} ${columns}x${rows}: drawn`);
        assert.equal(f.early, f.full, `${root} ${columns}x${rows}`);
        assert.ok(f.asked.length <= 3, `${f.asked.length} rounds`);
        assert.ok(f.asked.at(-1)! < f.total / 2, `${root} ${columns}x${rows}: ${f.asked.at(-1)} of ${f.total} read in full`);
      }
    }
  });

  it('reads a few percent of a large fabric in full, in one or two rounds', () => {
    const f = frames(generated('large', 1200), 80, 24);
    assert.equal(f.early, f.full);
    assert.ok(f.asked.length <= 2, `${f.asked.length} rounds`);
    assert.ok(f.asked.at(-1)! <= 0.1 * f.total, `${f.asked.at(-1)} of ${f.total}`);
  });

  it('is the full fabric\'s when a function\'s directory is gone (a dangling bus link) or off screen', () => {
    const root = generated('dangling', 300);
    const bus = path.join(root, 'sys/bus/pci/devices');
    const last = fs.readdirSync(bus).sort().at(-1)!;
    fs.rmSync(fs.realpathSync(path.join(bus, last)), { recursive: true });
    const f = frames(root, 80, 24);
    assert.equal(f.early, f.full);
    assert.match(f.early!, /299 functions/);
  });

  it('is not drawn where it would not pay or cannot be exact', () => {
    const small = generated('small', 120);
    const defaults = { minFunctions: undefined, maxFullShare: undefined };
    assert.equal(frames(small, 80, 24, defaults).early, null, 'a small fabric: the full read is quick');
    assert.notEqual(frames(small, 80, 24).early, null);
    // A first screen that shows much of the fabric.
    const tall = generated('tall', 320);
    const f = frames(tall, 120, 200, defaults);
    assert.equal(f.early, null);
    assert.ok(f.asked.length <= 1);
    assert.notEqual(frames(tall, 120, 200).early, null, 'null by the policy only');
    // Bus entries that are plain directories: parents come from bus numbers, which need every config.
    const edge = buildEdgeTree(path.join(base, 'edge'));
    const outline = readSysfsOutline(edge, { readDir: reader });
    assert.ok(outline.functions.some((fn) => !fn.viaLink));
    assert.equal(readSysfsPartial(outline, new Set()), null);
    assert.equal(frames(edge, 80, 24).early, null);
  });

  const asNobody = nobodyCannotRead(path.join(REPO_ROOT, 'dist/src/ui/early-frame.js')) ?? false;
  it('is the full fabric\'s for a non-root reader, who cannot enter some directories', { skip: asNobody }, () => {
    const roots = [generated('nobody3', 300, 3), generated('nobody4', 300, 4)];
    const script = `
      const dist = ${JSON.stringify(path.join(REPO_ROOT, 'dist'))};
      const sysfs = await import(dist + '/src/access/sysfs.js');
      const { loadPciIds, nativeSysfsDirReader } = await import(dist + '/src/access/load.js');
      const { buildFabric } = await import(dist + '/src/model/topology.js');
      const { earlyFirstFrame } = await import(dist + '/src/ui/early-frame.js');
      const { firstFrame } = await import(dist + '/src/ui/first-frame.js');
      const { buildModel } = await import(dist + '/src/ui/model.js');
      const { initialState } = await import(dist + '/src/ui/state.js');
      const pciIds = loadPciIds();
      const readDir = await nativeSysfsDirReader();
      const out = [];
      for (const root of ${JSON.stringify(roots)}) {
        const outline = sysfs.readSysfsOutline(root, { readDir });
        const early = earlyFirstFrame({ functions: outline.functions, partial: (f) => sysfs.readSysfsPartial(outline, f) }, { columns: 80, rows: 24, pciIds, minFunctions: 0, maxFullShare: 1 });
        const raw = sysfs.readSysfsFabricFromOutline(outline);
        const model = buildModel(buildFabric(raw, { pciIds }));
        out.push({ root, early, full: firstFrame(model, initialState(model, { columns: 80, rows: 24 })), skipped: raw.warnings.filter((w) => w.endsWith('skipped')).length });
      }
      console.log(JSON.stringify(out));`;
    const res = spawnSync(RUNUSER!, ['-u', 'nobody', '--', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', cwd: '/', maxBuffer: 1 << 26 });
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { root: string; early: string | null; full: string; skipped: number }[];
    assert.ok(out.some((o) => o.skipped > 0), 'nobody meets directories it cannot enter');
    for (const o of out) assert.equal(o.early, o.full, o.root);
  });

  it('is what `p2p tui` writes first on a large fabric, in a real terminal, before the full read', { skip: haveCommand('tmux') ? false : 'tmux is not installed' }, async () => {
    const root = generated('e2e', 400);
    const dir = fs.mkdtempSync(path.join(base, 'tmux-'));
    const trace = path.join(dir, 'trace.json');
    const log = path.join(dir, 'pane.log');
    const socket = `p2p-early-${process.pid}`;
    const tmux = (...a: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...a], { encoding: 'utf8', timeout: 10000 });
    const q = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;
    const expected = frames(root, 80, 24, {}).early;
    assert.ok(expected !== null, 'a 400-function fabric gets an early frame by default');
    try {
      // pipe-pane starts once the session exists: the program waits for the log file before it starts.
      const cmd = `while [ ! -e ${q(log)} ]; do sleep 0.05; done; env -u CI -u CONTINUOUS_INTEGRATION P2P_TUI_TRACE=${q(trace)} ${[process.execPath, path.join(REPO_ROOT, 'bin/p2p.js'), 'tui', '--root', root].map(q).join(' ')}`;
      tmux('new-session', '-d', '-x', '80', '-y', '24', '-e', 'TERM=xterm-256color', cmd);
      tmux('pipe-pane', '-t', '0', '-o', `cat >> ${q(log)}`);
      const end = Date.now() + 45000;
      while (!/ 1\/\d+/.test(tmux('capture-pane', '-p', '-t', '0')) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      // A key answered: Ink is up, and has drawn over the early frame.
      tmux('send-keys', '-t', '0', 'j');
      while (!/ 2\/\d+/.test(tmux('capture-pane', '-p', '-t', '0')) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      tmux('send-keys', '-t', '0', 'q');
      while (!fs.existsSync(trace) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    }
    const t = JSON.parse(fs.readFileSync(trace, 'utf8')) as { earlyFrame: boolean; firstFrameMs: number; fabricMs: number; readyMs: number };
    assert.equal(t.earlyFrame, true);
    assert.ok(t.firstFrameMs < t.fabricMs && t.fabricMs < t.readyMs, JSON.stringify(t));
    // The terminal's output processing turns each line feed into CR LF.
    const written = fs.readFileSync(log, 'utf8').replace(/\r+\n/g, '\n');
    assert.ok(written.includes(expected.replace(/\r\n/g, '\n')), 'the early frame, byte for byte, on the terminal');
  });
});
