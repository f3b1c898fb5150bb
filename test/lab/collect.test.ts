// Result assembly and the comparisons, on a guest directory written by hand the way init.sh writes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyOracle, collectGuest } from './collect.js';
import { allowedBy, benchVerified, doctorStatus, kernelVsSpec, matrixVsKernel, topoVsLspci } from './compare.js';
import { benchLines, drivePattern, fnv1a64, type LabResult } from './runner.js';
import { validateSpec } from './spec.js';

const io = (ret: number, errnoName = '', errno = 0) => ({ ret, errno, errnoName, strerror: errno ? 'Remote I/O error' : '', stage: errno ? 'pread' : null });
const LEN = 1048576;

function guestDir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'p2p-lab-collect-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

const LSPCI_TV = `-[0000:00]-+-00.0  Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller
           +-03.0-[01-04]----00.0-[02-04]--+-00.0-[03]----00.0  Red Hat, Inc. QEMU NVM Express Controller
           |                               \\-01.0-[04]----00.0  Red Hat, Inc. QEMU NVM Express Controller
           \\-1f.0  Intel Corporation 82801IB (ICH9) LPC Interface Controller
`;

const spec = validateSpec({
  name: 'two',
  description: 'two drives',
  fabric: [{ kind: 'root-port', child: { kind: 'switch', downstream: [{ kind: 'nvme', name: 'a', cmbMb: 64 }, { kind: 'nvme', name: 'b' }] } }],
  expect: [
    { client: 'a', provider: 'a', kernel: 'ok' },
    { client: 'b', provider: 'a', kernel: 'EREMOTEIO' },
  ],
});

function oracleLine(p2p: ReturnType<typeof io>, match: boolean, p2pFnv: string, hostFnv: string): string {
  return JSON.stringify({ device: '/dev/x', provider: '0000:03:00.0', length: LEN, offset: 0, p2pRead: p2p, hostRead: io(LEN), compared: p2p.ret === LEN, match, firstMismatch: match ? -1 : 0, p2pFnv, hostFnv }) + '\n';
}

function sampleResult(extra: Record<string, string> = {}): { r: LabResult; dir: string } {
  const dir = guestDir({
    stage: 'done\n',
    'cpuinfo.txt': 'vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel Core i7 9xx (Nehalem Class Core i7)\n',
    'drives.txt': 'nvme0 a 0000:03:00.0 nvme0n1\nnvme1 b 0000:04:00.0 nvme1n1\n',
    'providers.txt': '0000:03:00.0 67108864 67043328 1\n',
    'lspci-tv.txt': LSPCI_TV,
    'oracle-1.pair': '0000:03:00.0 0000:03:00.0 /dev/nvme0n1\n',
    'oracle-1.json': oracleLine(io(LEN), true, 'aaaa', 'aaaa'),
    'oracle-1.rc': '0\n',
    'oracle-1.dmesg': '',
    'oracle-2.pair': '0000:04:00.0 0000:03:00.0 /dev/nvme1n1\n',
    'oracle-2.json': oracleLine(io(-1, 'EREMOTEIO', 121), false, 'a5a5', 'bbbb'),
    'oracle-2.rc': '0\n',
    'oracle-2.dmesg': '[ 1.0] nvme 0000:04:00.0: cannot be used for peer-to-peer DMA as the client and provider (0000:03:00.0) do not share an upstream bridge or whitelisted host bridge\n[ 1.1] random: unrelated\n',
    'p2p-topo.rc': '0\n',
    'p2p-topo.args': 'topo --json\n',
    'p2p-topo.time': '10.0 22.5\n',
    'p2p-topo.out': JSON.stringify({
      devices: [
        { bdf: '0000:00:00.0', parent: null }, { bdf: '0000:00:03.0', parent: null }, { bdf: '0000:01:00.0', parent: '0000:00:03.0' },
        { bdf: '0000:02:00.0', parent: '0000:01:00.0' }, { bdf: '0000:02:01.0', parent: '0000:01:00.0' },
        { bdf: '0000:03:00.0', parent: '0000:02:00.0' }, { bdf: '0000:04:00.0', parent: '0000:02:01.0' }, { bdf: '0000:00:1f.0', parent: null },
      ],
    }),
    'p2p-matrix.rc': 'absent\n',
    ...extra,
  });
  const guest = collectGuest(dir, new Map([['a', 'aaaa'], ['b', 'bbbb']]));
  const r: LabResult = {
    schema: 1, fabric: 'two', spec, status: 'ok', message: null, startedAt: '', wallMs: 0, attempts: 1,
    qemu: { argv: [], exitCode: 0, signal: null, timedOut: false, consoleTail: '' },
    driveFingerprints: { a: 'aaaa', b: 'bbbb' },
    guest,
  };
  return { r, dir };
}

test('collectGuest reads drives, providers, oracle pairs, commands and CPU facts', () => {
  const { r, dir } = sampleResult();
  try {
    const g = r.guest;
    assert.equal(g.stage, 'done');
    assert.equal(g.cpuVendor, 'GenuineIntel');
    assert.equal(g.cpuFamily, 6);
    assert.deepEqual(g.drives.map((d) => [d.serial, d.bdf, d.block, d.p2pmem?.published ?? null]), [
      ['a', '0000:03:00.0', 'nvme0n1', true],
      ['b', '0000:04:00.0', 'nvme1n1', null],
    ]);
    assert.deepEqual(g.oracle.map((o) => [o.client, o.provider, o.outcome, o.hostDataVerified]), [
      ['a', 'a', 'ok', true],
      ['b', 'a', 'EREMOTEIO', true],
    ]);
    assert.deepEqual(g.oracle[1]!.dmesg, [g.oracle[1]!.dmesg[0]], 'only P2P/NVMe/IOMMU lines are kept');
    assert.equal(g.commands.topo!.seconds, 12.5);
    assert.equal(g.commands.matrix!.absent, true);
    assert.deepEqual(kernelVsSpec(r).map((c) => c.ok), [true, true]);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a host-memory read that is not the backing file makes the pair an error, whatever the p2p read did', () => {
  const { r, dir } = sampleResult({ 'oracle-1.json': oracleLine(io(LEN), true, 'cccc', 'cccc') });
  try {
    assert.equal(r.guest.oracle[0]!.outcome, 'error');
    assert.match(r.guest.oracle[0]!.detail, /backing file/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('an oracle that printed nothing is an error with the reason', () => {
  const { r, dir } = sampleResult({ 'oracle-1.json': '', 'oracle-1.rc': '124\n' });
  try {
    assert.equal(r.guest.oracle[0]!.outcome, 'error');
    assert.match(r.guest.oracle[0]!.detail, /timed out/);
    assert.equal(kernelVsSpec(r)[0]!.ok, false);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('classifyOracle: success with equal bytes, EREMOTEIO, success with wrong bytes, other errors', () => {
  const base = { length: LEN, hostRead: io(LEN), firstMismatch: -1 };
  assert.equal(classifyOracle({ ...base, p2pRead: io(LEN), match: true }).outcome, 'ok');
  assert.equal(classifyOracle({ ...base, p2pRead: io(-1, 'EREMOTEIO', 121), match: false }).outcome, 'EREMOTEIO');
  assert.equal(classifyOracle({ ...base, p2pRead: io(LEN), match: false, firstMismatch: 0 }).outcome, 'mismatch');
  assert.equal(classifyOracle({ ...base, p2pRead: io(-1, 'EINVAL', 22), match: false }).outcome, 'error');
  assert.equal(classifyOracle({ ...base, hostRead: io(-1, 'EIO', 5), p2pRead: io(LEN), match: false }).outcome, 'error');
  assert.equal(allowedBy('mismatch'), true, 'a mismatch means the kernel allowed the mapping');
  assert.equal(allowedBy('EREMOTEIO'), false);
  assert.equal(allowedBy('error'), null);
});

test('topo vs lspci: agreement, then a wrong parent and an extra device', () => {
  const { r, dir } = sampleResult();
  try {
    const c = topoVsLspci(r);
    assert.ok(c.available);
    assert.deepEqual(c.checks.filter((x) => !x.ok), []);
    assert.equal(c.checks.length, 8);
  } finally {
    rmSync(dir, { recursive: true });
  }
  const bad = sampleResult({
    'p2p-topo.out': JSON.stringify({ devices: [{ bdf: '0000:03:00.0', parent: '0000:01:00.0' }, { bdf: '0000:09:00.0', parent: null }] }),
  });
  try {
    const c = topoVsLspci(bad.r);
    assert.ok(c.available);
    const wrong = c.checks.filter((x) => !x.ok).map((x) => `${x.pair} ${x.actual}`);
    assert.ok(wrong.includes('0000:03:00.0 0000:01:00.0'));
    assert.ok(wrong.includes('0000:00:00.0 missing'));
    assert.ok(wrong.includes('0000:09:00.0 null'));
  } finally {
    rmSync(bad.dir, { recursive: true });
  }
});

test('matrix vs kernel: skipped when absent, compared when present, a timeout fails', () => {
  const absent = sampleResult();
  try {
    const c = matrixVsKernel(absent.r);
    assert.equal(c.available, false);
    assert.match((c as { reason: string }).reason, /matrix not available yet/);
  } finally {
    rmSync(absent.dir, { recursive: true });
  }
  const pair = (client: string, provider: string, mapType: string) => ({ client, provider, legend: '', p2pdma: { mapType, distance: 0, reasons: [] } });
  const right = sampleResult({
    'p2p-matrix.rc': '0\n',
    'p2p-matrix.out': JSON.stringify({ devices: [], pairs: [pair('0000:03:00.0', '0000:03:00.0', 'BUS_ADDR'), pair('0000:04:00.0', '0000:03:00.0', 'NOT_SUPPORTED')] }),
  });
  try {
    const c = matrixVsKernel(right.r);
    assert.ok(c.available);
    assert.deepEqual(c.checks.map((x) => x.ok), [true, true]);
  } finally {
    rmSync(right.dir, { recursive: true });
  }
  const wrong = sampleResult({
    'p2p-matrix.rc': '0\n',
    'p2p-matrix.out': JSON.stringify({ pairs: [pair('0000:03:00.0', '0000:03:00.0', 'BUS_ADDR'), pair('0000:04:00.0', '0000:03:00.0', 'THRU_HOST_BRIDGE')] }),
  });
  try {
    const c = matrixVsKernel(wrong.r);
    assert.ok(c.available);
    assert.deepEqual(c.checks.map((x) => x.ok), [true, false]);
  } finally {
    rmSync(wrong.dir, { recursive: true });
  }
  // The release p2p decided for must be the guest's own uname -r.
  for (const [release, ok] of [['6.12.117', true], [null, false]] as const) {
    const res = sampleResult({
      'uname.txt': '6.12.117\n', 'p2p-matrix.rc': '0\n',
      'p2p-matrix.out': JSON.stringify({ kernel: { release, rules: '6.12' }, pairs: [pair('0000:03:00.0', '0000:03:00.0', 'BUS_ADDR'), pair('0000:04:00.0', '0000:03:00.0', 'NOT_SUPPORTED')] }),
    });
    try {
      const c = matrixVsKernel(res.r);
      assert.ok(c.available);
      const rel = c.checks.find((x) => x.pair === 'p2p matrix --json kernel.release');
      assert.equal(rel?.ok, ok, String(release));
    } finally {
      rmSync(res.dir, { recursive: true });
    }
  }
  const hung = sampleResult({ 'p2p-matrix.rc': '124\n', 'p2p-matrix.args': 'matrix --json\n', 'p2p-matrix.out': '' });
  try {
    const c = matrixVsKernel(hung.r);
    assert.ok(c.available);
    assert.match(c.checks[0]!.actual, /timed out/);
    assert.equal(c.checks[0]!.ok, false);
  } finally {
    rmSync(hung.dir, { recursive: true });
  }
});

test('doctor and bench: skipped when absent; the direct bench run must verify where the kernel moved the bytes', () => {
  const benchDoc = (ok: boolean) => JSON.stringify({ ok, runs: [{ path: 'direct', verify: { checked: true, ok } }, { path: 'bounce', verify: { checked: true, ok: true } }] });
  const { r, dir } = sampleResult({
    'p2p-doctor.rc': '1\n',
    'p2p-doctor.out': JSON.stringify({ findings: [{ id: 'iommu.translation', status: 'warn', evidence: ['IOMMU is on'] }, { id: 'kernel.version', status: 'ok', evidence: [] }] }),
    'p2p-bench-1.rc': '0\n',
    'p2p-bench-1.args': 'bench /dev/nvme0n1 0000:03:00.0 --json\n',
    'p2p-bench-1.out': benchDoc(true),
  });
  try {
    const d = doctorStatus(r, 'iommu.translation');
    assert.ok(d.available);
    assert.equal(d.status, 'warn');
    const missing = doctorStatus(r, 'acs.redirect');
    assert.ok(missing.available);
    assert.equal(missing.status, null, 'a check the report lacks has no status');
    const b = benchVerified(r);
    assert.ok(b.available);
    assert.deepEqual(b.checks.map((x) => [x.pair, x.expected, x.actual, x.ok]), [['a->a', 'verified', 'verified', true]]);
  } finally {
    rmSync(dir, { recursive: true });
  }
  const bad = sampleResult({ 'p2p-bench-1.rc': '1\n', 'p2p-bench-1.out': benchDoc(false) });
  try {
    const b = benchVerified(bad.r);
    assert.ok(b.available);
    assert.equal(b.checks[0]!.ok, false, 'the kernel moved the right bytes, so an unverified bench is wrong');
  } finally {
    rmSync(bad.dir, { recursive: true });
  }
  const none = sampleResult();
  try {
    assert.equal(doctorStatus(none.r, 'iommu.translation').available, false);
    assert.equal(benchVerified(none.r).available, false);
  } finally {
    rmSync(none.dir, { recursive: true });
  }
});

test('fnv1a64 matches the C oracle, drive patterns are deterministic and distinct', () => {
  const b = new Uint8Array(256).map((_, i) => (i * 37 + 11) & 255);
  assert.equal(fnv1a64(b), 'cdea226717516125'); // printed by the same loop in C
  assert.equal(fnv1a64(new Uint8Array(0)), 'cbf29ce484222325');
  assert.deepEqual(drivePattern('a', 4096), drivePattern('a', 4096));
  assert.notDeepEqual(drivePattern('a', 4096), drivePattern('b', 4096));
});

test('bench runs go to allowed pairs between different drives first', () => {
  assert.deepEqual(benchLines(spec, 2), [`a a bench {clientDev} {provider} --json --mode direct --size ${LEN} --total ${LEN} --bs 256k --qd 4 --verify`]);
  const two = validateSpec({
    name: 't', description: 't',
    fabric: [{ kind: 'root-port', child: { kind: 'switch', downstream: [{ kind: 'nvme', name: 'a', cmbMb: 64 }, { kind: 'nvme', name: 'b', cmbMb: 64 }] } }],
    expect: [
      { client: 'a', provider: 'a', kernel: 'ok' }, { client: 'a', provider: 'b', kernel: 'ok' },
      { client: 'b', provider: 'a', kernel: 'EREMOTEIO' }, { client: 'b', provider: 'b', kernel: 'ok' },
    ],
  });
  assert.match(benchLines(two)[0]!, /^a b bench \{clientDev\} \{provider\} /);
});
