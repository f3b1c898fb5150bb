// `p2p bench` end to end through runBench: the real native engine on a temp file, a small constructed
// fabric for destinations, JSON output, refusals, the corrupt-destination hook and the fallback switch.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runBench, type BenchDeps, type BenchOptions } from '../../src/bench/bench-command.js';
import { startBench, statSource } from '../../src/native/addon.js';
import { UserError } from '../../src/errors.js';
import type { CommandIO } from '../../src/commands/shared.js';
import type { Device, Fabric } from '../../src/model/types.js';
import { directTempDir, randomFile } from '../native/helpers.js';

const dir = directTempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const [src, data] = randomFile(dir, 'src.bin', 4 << 20);

function collect(isTTY = false): CommandIO & { stdout: string; stderr: string } {
  const io = {
    stdout: '', stderr: '', isTTY, color: false, columns: 100,
    out(t: string) { io.stdout += t; },
    err(t: string) { io.stderr += t; },
  };
  return io;
}

function device(bdf: string, over: Partial<Device>): Device {
  return { bdf, alias: null, names: [], kind: 'endpoint', vendorId: null, p2pmem: null, link: null, mps: null, ...over } as unknown as Device;
}
const fabric = {
  devices: [] as Device[], byBdf: new Map<string, Device>(),
  host: { kernelRelease: '6.12.117', kernelConfig: new Map([['CONFIG_PCI_P2PDMA', 'y']]) },
} as unknown as Fabric;
const devs = [
  device('0000:05:00.0', { alias: 'nic0', kind: 'nic', vendorId: '15b3' }),
  device('0000:65:00.0', { alias: 'gpu0', kind: 'gpu', vendorId: '10de' }),
];
for (const d of devs) { fabric.devices.push(d); fabric.byBdf.set(d.bdf, d); }

const deps: Partial<BenchDeps> = {
  startBench, statSource,
  probeCuFile: () => ({ available: false, stage: 'dlopen-cufile', reason: 'libcufile.so.0: cannot open shared object file: No such file or directory', cufileLib: 'libcufile.so.0', cudaLib: 'libcuda.so.1' }),
  loadFabric: async () => fabric,
  resolveDevice: (f, n) => {
    const d = f.devices.find((x) => x.alias === n || x.bdf === n);
    if (!d) throw new UserError(`unknown device '${n}'`);
    return d;
  },
  pairVerdict: async () => null,
  linkCeilingGBps: async () => null,
  root: '/',
  env: {},
};
const base: BenchOptions = { source: src, dest: 'host', bs: '64k', qd: 8, total: '8M', rounds: 2 };
const bench = (o: Partial<BenchOptions>, io = collect(), d: Partial<BenchDeps> = {}) => runBench({ ...base, ...o }, io, { ...deps, ...d });

describe('p2p bench (runBench)', () => {
  it('A/B run to host memory: table with both paths, exit 0', async () => {
    const io = collect();
    assert.equal(await bench({}, io), 0);
    assert.match(io.stdout, /p2p bench: .*src\.bin -> host\s+\(seq, read-only\)/);
    assert.match(io.stdout, /^\s+direct\s+bounce/m);
    assert.match(io.stdout, /verify\s+ok/);
    assert.match(io.stdout, /direct vs bounce:/);
  });

  it('--json: documented shape, bytes and verification', async () => {
    const io = collect();
    assert.equal(await bench({ json: true, mode: 'direct' }, io), 0);
    const doc = JSON.parse(io.stdout);
    assert.equal(doc.schema, 'p2p.bench/1');
    assert.equal(doc.ok, true);
    assert.equal(doc.runs.length, 1);
    assert.equal(doc.runs[0].path, 'direct');
    assert.equal(doc.runs[0].bytes, 8 << 20);
    assert.equal(doc.runs[0].verify.ok, true);
    assert.equal(doc.source.size, 4 << 20);
    assert.equal(io.stderr, '');
  });

  it('a corrupted destination fails the bench (exit 1) with the first bad offset', async () => {
    const io = collect();
    assert.equal(await bench({ mode: 'direct' }, io, { env: { P2P_BENCH_TEST_CORRUPT: '5' } }), 1);
    assert.match(io.stderr, /bench FAILED \(direct\): the bytes in the destination differ from the source: first bad offset (\d+)/);
    const off = Number(/first bad offset (\d+)/.exec(io.stderr)![1]);
    assert.equal(off % 65536, 5);
    assert.match(io.stderr, new RegExp(`expected 0x${data[off].toString(16).padStart(2, '0')}`));
  });

  it('P2P_BENCH_ENGINE=psync forces the fallback engine', async () => {
    const io = collect();
    assert.equal(await bench({ json: true, mode: 'bounce' }, io, { env: { P2P_BENCH_ENGINE: 'psync' } }), 0);
    const doc = JSON.parse(io.stdout);
    assert.equal(doc.runs[0].engine, 'psync');
    assert.equal(doc.runs[0].threads, 8);
  });

  it('sweep draws the curve', async () => {
    const io = collect();
    assert.equal(await bench({ sweep: true, sweepBs: '4k,64k', sweepQd: '1,4', total: '1M' }, io), 0);
    assert.match(io.stdout, /GB\/s\s+QD1\s+QD4/);
    assert.match(io.stdout, /best: /);
  });

  it('a live progress line on a terminal, cleared before the table', async () => {
    const io = collect(true);
    assert.equal(await bench({ mode: 'direct', total: undefined, duration: 0.6 }, io), 0);
    assert.match(io.stderr, /\r\[[#.]+\]\s+\d+%/);
  });

  it('direct impossible: one line with the reason, bounce offered', async () => {
    await assert.rejects(bench({ dest: 'nic0', mode: 'direct' }), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /^direct path to nic0 impossible: nic0 publishes no p2pmem .* Measure the bounce path instead: p2p bench .* nic0 --mode bounce$/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    const io = collect();
    assert.equal(await bench({ dest: 'gpu0', mode: 'both' }, io), 0);
    assert.match(io.stderr, /direct path impossible: no cuFile \(GPUDirect Storage\): libcufile\.so\.0: cannot open .* running the bounce path only/);
    assert.match(io.stdout, /bounce/);
    assert.match(io.stdout, /host \(staging only\)/);
  });

  it('--write on a file says what it overwrites; without --write the file is never written', async () => {
    const [w] = randomFile(dir, 'w.bin', 1 << 20);
    const before = readFileSync(w);
    const io = collect();
    assert.equal(await bench({ source: w, mode: 'direct', total: '1M' }, io), 0);
    assert.ok(readFileSync(w).equals(before));
    const io2 = collect();
    assert.equal(await bench({ source: w, mode: 'direct', total: '1M', write: true }, io2), 0);
    assert.match(io2.stderr, /--write: this run OVERWRITES data within bytes 0\.\.1048575 .* of .*w\.bin/);
    assert.ok(!readFileSync(w).equals(before));
  });

  it('user errors: bad sizes, unknown source, O_DIRECT-less source, range too small', async () => {
    await assert.rejects(bench({ bs: '1000' }), /--bs must be a multiple of 512/);
    await assert.rejects(bench({ bs: 'huge' }), /--bs: bad size/);
    await assert.rejects(bench({ qd: 0 }), /--qd must be an integer/);
    await assert.rejects(bench({ source: join(dir, 'missing.bin') }), /cannot open source .*missing\.bin: open .*ENOENT/);
    await assert.rejects(bench({ size: '4k' }), /smaller than one block/);
    await assert.rejects(bench({ offset: '100' }), /--offset must be a multiple of 4096/);
    await assert.rejects(bench({ dest: 'nope0' }), /unknown device 'nope0'/);
    await assert.rejects(bench({}, collect(), { statSource: () => ({ kind: 'file', size: 1 << 20, logicalBlockSize: 512, major: 0, minor: 0, directOk: false, directError: 'open(O_DIRECT): EINVAL' }) }), /does not support O_DIRECT/);
  });
});
