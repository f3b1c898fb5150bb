// GPU memory benches end to end against the fake libcuda / libcufile / libamdhip64 (test/native/fake-cuda,
// built with cc): the real loader, native engine, verification and report. Failures are switched on with
// the fakes' environment variables: every error path is one line, corrupted bytes fail the bench (exit 1).
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runBench, type BenchDeps, type BenchOptions } from '../../src/bench/bench-command.js';
import { probeCuFile, probeGpus, startBench, startGpuBench, statSource } from '../../src/native/addon.js';
import { UserError } from '../../src/errors.js';
import type { CommandIO } from '../../src/commands/shared.js';
import type { Device, Fabric } from '../../src/model/types.js';
import { directTempDir, fakeCuda, randomFile } from '../native/helpers.js';

const fake = fakeCuda();
const skip = fake ? false : 'no C compiler to build the fake GPU libraries';
const dir = directTempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const [src] = randomFile(dir, 'src.bin', 4 << 20);

function collect(): CommandIO & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', isTTY: false, color: false, columns: 120, out(t: string) { io.stdout += t; }, err(t: string) { io.stderr += t; } };
  return io;
}
function device(bdf: string, over: Partial<Device>): Device {
  return { bdf, alias: null, names: [], kind: 'gpu', vendorId: '10de', p2pmem: null, link: null, mps: null, ...over } as unknown as Device;
}
const devs = [
  device('0000:65:00.0', { alias: 'gpu0' }),
  device('0000:66:00.0', { alias: 'gpu1' }),
  device('0000:c1:00.0', { alias: 'gpu2', vendorId: '1002' }),
  device('0000:c2:00.0', { alias: 'gpu3', vendorId: '1002' }),
];
const fabric = { devices: devs, byBdf: new Map(devs.map((d) => [d.bdf, d])), host: { kernelRelease: '6.12.0', kernelConfig: null } } as unknown as Fabric;
const deps: Partial<BenchDeps> = {
  startBench, statSource, probeCuFile: (l) => probeCuFile(l), probeGpus, startGpuBench,
  loadFabric: async () => fabric,
  resolveDevice: (f, n) => {
    const d = f.devices.find((x) => x.alias === n || x.bdf === n);
    if (!d) throw new UserError(`unknown device '${n}'`);
    return d;
  },
  pairVerdict: async () => ({ mapType: 'PCI_P2PDMA_MAP_BUS_ADDR', verdict: 'SUPPORTED', reason: null }),
  linkCeilingGBps: async () => null,
  root: '/',
  env: {},
};
const libs = () => ({ libcuda: fake!.cuda, libcufile: fake!.cufile, libhip: fake!.hip });
const bench = (o: Partial<BenchOptions>, io = collect()) =>
  runBench({ source: 'host', dest: 'gpu0', size: '1M', total: '4M', ...libs(), ...o }, io, deps);

const ENV = ['FAKE_CUDA_COUNT', 'FAKE_CUDA_PEER', 'FAKE_CUDA_PEER_ENABLE_FAIL', 'FAKE_CUDA_OOM', 'FAKE_CUDA_INIT_FAIL', 'FAKE_CUDA_CORRUPT', 'FAKE_HIP_PEER', 'FAKE_HIP_CORRUPT'];
afterEach(() => { for (const k of ENV) delete process.env[k]; });
process.env.FAKE_CUDA_COUNT = '2';
const env = (vars: Record<string, string>) => {
  for (const k of ENV) delete process.env[k];
  Object.assign(process.env, { FAKE_CUDA_COUNT: '2', ...vars });
};

describe('p2p bench with GPU memory (fake CUDA)', { skip }, () => {
  it('probe: devices by ordinal with their PCI bus ids (BDF <-> CUDA device) and the peer matrix', () => {
    env({});
    const p = probeGpus('cuda', fake!.cuda);
    assert.equal(p.available, true);
    assert.deepEqual(p.devices.map((d) => d.pciBusId), ['0000:65:00.0', '0000:66:00.0']);
    assert.deepEqual(p.canAccessPeer, [[null, true], [true, null]]);
    env({ FAKE_CUDA_PEER: '0' });
    assert.deepEqual(probeGpus('cuda', fake!.cuda).canAccessPeer, [[null, false], [false, null]]);
    assert.match(probeGpus('cuda', join(dir, 'none.so')).reason!, /none\.so/);
  });

  it('host <-> GPU: pinned and pageable both ways, each verified; JSON report', async () => {
    env({});
    const io = collect();
    assert.equal(await bench({}, io), 0);
    assert.match(io.stdout, /host -> gpu0 \(0000:65:00\.0\)\s+pinned\s+[\d.]+ GB\/s/);
    assert.match(io.stdout, /gpu0 \(0000:65:00\.0\) -> host\s+pageable/);
    const j = collect();
    assert.equal(await bench({ json: true }, j), 0);
    const doc = JSON.parse(j.stdout);
    assert.equal(doc.schema, 'p2p.bench-gpu/1');
    assert.deepEqual(doc.cases.map((c: { name: string }) => c.name), ['htod-pinned', 'dtoh-pinned', 'htod-pageable', 'dtoh-pageable']);
    for (const c of doc.cases) {
      assert.equal(c.verify.ok, true);
      assert.equal(c.bytes, 4 << 20);
    }
  });

  it('GPU -> GPU: peer access against staged, both directions, verified', async () => {
    env({});
    const io = collect();
    assert.equal(await bench({ source: 'gpu0', dest: 'gpu1', json: true }, io), 0);
    const doc = JSON.parse(io.stdout);
    assert.deepEqual(doc.peerAccess, { ab: true, ba: true, error: null });
    assert.deepEqual(doc.cases.map((c: { name: string }) => c.name), ['peer-ab', 'staged-ab', 'peer-ba', 'staged-ba']);
    assert.equal(doc.verdict.verdict, 'SUPPORTED');
    assert.ok(doc.peerGain.ab > 0);
  });

  it('peer access refused: the staged copies still run; one note, exit 0', async () => {
    env({ FAKE_CUDA_PEER: '0' });
    const io = collect();
    assert.equal(await bench({ source: 'gpu0', dest: 'gpu1' }, io), 0);
    assert.match(io.stdout, /peer access \(driver\): gpu0 .* no, back no/);
    assert.match(io.stdout, /note: peer access refused by the driver: cuDeviceCanAccessPeer\(0, 1\) = 0/);
    assert.match(io.stdout, /gpu0 \(0000:65:00\.0\) -> gpu1 \(0000:66:00\.0\)\s+staged\s+[\d.]+ GB\/s .* ok/);
    assert.equal(io.stderr, '');
  });

  it('enabling peer access fails: the peer copies fail the bench with the CUDA error', async () => {
    env({ FAKE_CUDA_PEER_ENABLE_FAIL: '1' });
    const io = collect();
    assert.equal(await bench({ source: 'gpu0', dest: 'gpu1' }, io), 1);
    assert.match(io.stderr, /bench FAILED \(gpu0 .*, peer\): cuCtxEnablePeerAccess failed: CUDA_ERROR_PEER_ACCESS_UNSUPPORTED \(217\)/);
  });

  it('a copy returning corrupted bytes fails the bench (exit 1) with the offset', async () => {
    env({ FAKE_CUDA_CORRUPT: 'peer' });
    const io = collect();
    assert.equal(await bench({ source: 'gpu0', dest: 'gpu1' }, io), 1);
    assert.match(io.stderr, /bench FAILED \(gpu0 .* -> gpu1 .*, peer\): MISMATCH at offset 4097/);
    env({ FAKE_CUDA_CORRUPT: 'htod' });
    assert.equal(await bench({}, collect()), 1);
  });

  it('setup failures are one line each', async () => {
    env({ FAKE_CUDA_OOM: '1' });
    await assert.rejects(bench({}), (e: Error) => e instanceof UserError && /^bench could not start: cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY \(2\) \(1048576 bytes on GPU 0\)$/.test(e.message));
    env({ FAKE_CUDA_INIT_FAIL: '1' });
    await assert.rejects(bench({}), (e: Error) => e instanceof UserError && /^CUDA unavailable \(init\): cuInit failed: CUDA_ERROR_NO_DEVICE \(100\)$/.test(e.message));
    env({});
    await assert.rejects(bench({ libcuda: join(dir, 'none.so') }), /CUDA unavailable \(dlopen\): .*none\.so/);
    env({ FAKE_CUDA_COUNT: '1' });
    await assert.rejects(bench({ source: 'gpu0', dest: 'gpu1' }), /CUDA does not list gpu1 \(0000:66:00\.0\) among its 1 device/);
    await assert.rejects(bench({ source: 'gpu0', dest: 'gpu0' }), /same GPU/);
    await assert.rejects(bench({ source: 'host', dest: 'host' }), /host -> host is not a bench/);
  });

  it('offline sources are refused before anything runs', async () => {
    await assert.rejects(bench({ dump: 'x.txt' }), /p2p bench needs this machine, but the fabric comes from the lspci dump x\.txt: run it without --dump/);
    await assert.rejects(bench({ root: dir }), /p2p bench needs this machine, but the fabric comes from the captured tree .*: run it without --root/);
  });

  it('file -> GPU: cuFile direct into cuMemAlloc memory and bounce, verified; corrupted copies fail', async () => {
    env({});
    const io = collect();
    assert.equal(await bench({ source: src, dest: 'gpu0', json: true, bs: '64k', qd: 4, total: '4M', rounds: 1, size: undefined }, io), 0);
    const doc = JSON.parse(io.stdout);
    assert.deepEqual(doc.runs.map((r: { path: string }) => r.path), ['direct', 'bounce']);
    assert.equal(doc.runs[0].engine, 'cufile');
    assert.ok(doc.runs.every((r: { verify: { ok: boolean } }) => r.verify.ok));
    env({ FAKE_CUDA_CORRUPT: 'dtoh' });
    const bad = collect();
    assert.equal(await bench({ source: src, dest: 'gpu0', mode: 'direct', bs: '64k', qd: 4, total: '4M', size: undefined }, bad), 1);
    assert.match(bad.stderr, /bench FAILED \(direct\): the bytes in the destination differ from the source/);
  });
});

describe('p2p bench with GPU memory (fake ROCm HIP)', { skip }, () => {
  it('GPU -> GPU through hipMemcpyPeer against staged, verified; corruption fails', async () => {
    const io = collect();
    assert.equal(await bench({ source: 'gpu2', dest: 'gpu3', json: true }, io), 0);
    const doc = JSON.parse(io.stdout);
    assert.equal(doc.runtime, 'hip');
    assert.equal(doc.cases.length, 4);
    process.env.FAKE_HIP_CORRUPT = 'peer';
    assert.equal(await bench({ source: 'gpu2', dest: 'gpu3' }, collect()), 1);
    await assert.rejects(bench({ source: 'gpu0', dest: 'gpu3' }), /not GPUs of the same runtime/);
  });
});

describe('p2p gpus (fake CUDA, this machine\'s fabric)', { skip }, () => {
  it('lists the runtime devices and every ordered pair; --bandwidth measures peer and staged', async () => {
    const { runGpus } = await import('../../src/bench/gpus-command.js');
    env({});
    const io = collect();
    assert.equal(await runGpus({ lib: fake!.cuda, bandwidth: true }, io), 0);
    assert.match(io.stdout, /CUDA devices \(driver 12080\)/);
    assert.match(io.stdout, /^\s+0\s+0000:65:00\.0/m);
    assert.match(io.stdout, /0 .*-> 1 .*\s+yes\s+/);
    assert.match(io.stdout, /[\d.]+ \/ [\d.]+/);
    await assert.rejects(runGpus({ lib: join(dir, 'none.so') }, collect()), /CUDA unavailable \(dlopen\)/);
    await assert.rejects(runGpus({ lib: fake!.cuda, nvidiaSmiTopo: join(dir, 'none.txt') }, collect()), /--nvidia-smi-topo .*ENOENT/);
    await assert.rejects(runGpus({ dump: 'x' }, collect()), /p2p gpus needs this machine, but the fabric comes from the lspci dump x: run it without --dump/);
  });
});
