// Link checks: speed/width, MPS, MRRS, relaxed ordering, AER (counters and status registers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctorChecks } from '../../../src/model/doctor/index.js';
import type { AerCounters, Finding } from '../../../src/model/doctor/types.js';
import type { Fabric } from '../../../src/model/types.js';
import { ConfigSpace } from '../../../src/model/config-space.js';
import { walkCapabilities } from '../../../src/model/caps/walk.js';
import { makeFabric, type DevSpec } from '../../helpers/p2p-fabric.js';
import { configBytes, input, known, patch, unknown } from '../../helpers/doctor-fixtures.js';

function run(id: string, fabric: Fabric, env: Parameters<typeof input>[1] = {}): Finding {
  return runDoctorChecks(input(fabric, env), { only: [id] }).findings[0];
}

const x16g4 = { speed: 16, width: 16, maxSpeed: 16, maxWidth: 16 };

/** Root port -> switch -> two downstream ports -> a GPU and an NVMe drive, all links given. */
function fabric(over: { gpu?: Partial<DevSpec>; nvme?: Partial<DevSpec>; port?: Partial<DevSpec>; configBytes?: number } = {}): Fabric {
  const cb = over.configBytes;
  return makeFabric([
    { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '2020' },
    { bdf: '0000:00:01.0', kind: 'root-port', link: x16g4, mps: 256, configBytes: cb },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream', link: x16g4, mps: 256, configBytes: cb },
    { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', link: x16g4, mps: 256, configBytes: cb, ...over.port },
    { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream', link: { speed: 16, width: 4, maxSpeed: 16, maxWidth: 4 }, mps: 256, configBytes: cb },
    { bdf: '0000:03:00.0', parent: '0000:02:00.0', kind: 'gpu', vendorId: '10de', names: ['gpu0'], link: x16g4, mps: 256, configBytes: cb, ...over.gpu },
    { bdf: '0000:04:00.0', parent: '0000:02:01.0', kind: 'nvme', names: ['nvme0'], link: { speed: 16, width: 4, maxSpeed: 16, maxWidth: 4 }, mps: 256, configBytes: cb, ...over.nvme },
  ]);
}

test('link.speed: full links ok; slot-limited warns; lanes lost fails; idle GPU speed warns; NVMe speed drop fails; no data skips', () => {
  assert.equal(run('link.speed', fabric()).status, 'ok');
  const slot = run('link.speed', fabric({ nvme: { link: { speed: 16, width: 4, maxSpeed: 16, maxWidth: 8 } } }));
  assert.equal(slot.status, 'warn');
  assert.match(slot.evidence[0], /slot limits it/);
  const lanes = run('link.speed', fabric({ gpu: { link: { speed: 16, width: 8, maxSpeed: 16, maxWidth: 16 } } }));
  assert.equal(lanes.status, 'fail');
  assert.match(lanes.evidence[0], /gpu0.*x8.*x16/);
  assert.deepEqual(lanes.devices, ['0000:03:00.0']);
  const idle = run('link.speed', fabric({ gpu: { link: { speed: 2.5, width: 16, maxSpeed: 16, maxWidth: 16 } } }));
  assert.equal(idle.status, 'warn');
  assert.match(idle.evidence[0], /idle/);
  const nvme = run('link.speed', fabric({ nvme: { link: { speed: 8, width: 4, maxSpeed: 16, maxWidth: 4 } } }));
  assert.equal(nvme.status, 'fail');
  assert.equal(run('link.speed', makeFabric([{ bdf: '0000:00:01.0', kind: 'root-port' }, { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'nvme' }])).status, 'skip');
});

test('link.mps: consistent ok; device above its port fails; peers with different MPS warn; unknown skips', () => {
  assert.equal(run('link.mps', fabric()).status, 'ok');
  const over = run('link.mps', fabric({ gpu: { mps: 512 } }));
  assert.equal(over.status, 'fail');
  assert.match(over.evidence[0], /MPS 512 > 0000:02:00\.0 MPS 256/);
  const peers = run('link.mps', fabric({ nvme: { mps: 128 } }));
  assert.equal(peers.status, 'warn');
  assert.match(peers.evidence.join('\n'), /0000:04:00\.0=128/);
  assert.match(peers.fix!.join('\n'), /pcie_bus_peer2peer/);
  // makeFabric keeps the mps it is given; a real 64-byte read has none.
  const f64 = fabric();
  for (const d of f64.devices) {
    d.mps = null;
    d.configBytes = 64;
    d.capabilities = { caps: [], complete: false, errors: [] };
  }
  const sk = run('link.mps', f64);
  assert.equal(sk.status, 'skip');
  assert.match(sk.evidence[0], /needs root/);
});

test('link.mrrs: 512+ ok, 128 warns with the setpci recipe, unknown skips', () => {
  const f = fabric();
  patch(f, '0000:03:00.0', { mrrs: 512 });
  patch(f, '0000:04:00.0', { mrrs: 4096 });
  assert.equal(run('link.mrrs', f).status, 'ok');
  patch(f, '0000:04:00.0', { mrrs: 128 });
  const w = run('link.mrrs', f);
  assert.equal(w.status, 'warn');
  assert.deepEqual(w.devices, ['0000:04:00.0']);
  assert.match(w.fix!.join('\n'), /CAP_EXP\+08\.w=5000:7000/);
  const u = fabric({ configBytes: 64 });
  assert.equal(run('link.mrrs', u).status, 'skip');
});

test('link.relaxed-ordering: on ok, off on a GPU with partners warns, unknown skips', () => {
  const f = fabric();
  patch(f, '0000:03:00.0', { relaxedOrdering: true });
  assert.equal(run('link.relaxed-ordering', f).status, 'ok');
  patch(f, '0000:03:00.0', { relaxedOrdering: false });
  const w = run('link.relaxed-ordering', f);
  assert.equal(w.status, 'warn');
  assert.match(w.evidence[0], /RlxdOrd-/);
  assert.equal(run('link.relaxed-ordering', fabric({ configBytes: 64 })).status, 'skip');
});

function counters(c: Partial<Record<'correctable' | 'nonfatal' | 'fatal', Record<string, number>>>): AerCounters {
  const tot = (m?: Record<string, number>) => (m ? Object.values(m).reduce((a, b) => a + b, 0) : null);
  return {
    correctable: c.correctable ?? null, nonfatal: c.nonfatal ?? null, fatal: c.fatal ?? null,
    totals: { correctable: tot(c.correctable), nonfatal: tot(c.nonfatal), fatal: tot(c.fatal) },
  };
}

test('link.aer (sysfs counters): zero ok, correctable warns, non-fatal fails, unknown skips', () => {
  const f = fabric();
  const zero = new Map([['0000:03:00.0', counters({ correctable: { RxErr: 0 }, nonfatal: { CmpltTO: 0 }, fatal: { DLP: 0 } })]]);
  assert.equal(run('link.aer', f, { aerCounters: known(zero, 'test') }).status, 'ok');
  const corr = new Map([['0000:03:00.0', counters({ correctable: { RxErr: 0, BadTLP: 7 } })]]);
  const w = run('link.aer', f, { aerCounters: known(corr, 'test') });
  assert.equal(w.status, 'warn');
  assert.match(w.evidence[0], /gpu0.*correctable 7 \(BadTLP 7\)/);
  const nf = new Map([['0000:04:00.0', counters({ nonfatal: { CmpltTO: 2 } })]]);
  const fl = run('link.aer', f, { aerCounters: known(nf, 'test') });
  assert.equal(fl.status, 'fail');
  assert.deepEqual(fl.devices, ['0000:04:00.0']);
  const sk = run('link.aer', fabric({ configBytes: 64 }), { aerCounters: unknown('an lspci dump has no sysfs AER counters') });
  assert.equal(sk.status, 'skip');
  assert.match(sk.evidence[0], /lspci dump/);
});

test('link.aer (config space): unmasked fatal bits fail, non-fatal warn, masked ones do not count', () => {
  const withAer = (aer: { corr?: number; corrMask?: number; unc?: number; uncMask?: number; sev?: number }) => {
    const f = fabric();
    const bytes = configBytes({ vendor: 0x10de, device: 0x2330, classCode: 0x030200, express: { type: 'endpoint' }, aer });
    const cfg = new ConfigSpace(bytes);
    patch(f, '0000:03:00.0', { config: cfg, configBytes: 4096, capabilities: walkCapabilities(cfg) });
    return f;
  };
  assert.equal(run('link.aer', withAer({})).status, 'ok');
  const fatal = run('link.aer', withAer({ unc: 1 << 18, sev: 1 << 18 })); // MalfTLP, severity fatal
  assert.equal(fatal.status, 'fail');
  assert.match(fatal.evidence[0], /fatal MalfTLP/);
  const nonfatal = run('link.aer', withAer({ unc: 1 << 14, sev: 0 })); // CmpltTO, non-fatal: sticky, may date from enumeration
  assert.equal(nonfatal.status, 'warn');
  assert.match(nonfatal.evidence[0], /non-fatal CmpltTO/);
  const masked = run('link.aer', withAer({ unc: 1 << 14, uncMask: 1 << 14, corr: 1 << 6, corrMask: 1 << 6 }));
  assert.equal(masked.status, 'ok');
  const corr = run('link.aer', withAer({ corr: 1 }));
  assert.equal(corr.status, 'warn');
  assert.match(corr.evidence[0], /RxErr/);
});
