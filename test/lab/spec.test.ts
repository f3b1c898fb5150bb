// Spec validation: defaults, every kind of mistake reported with its JSON path, and the shipped specs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { drivesOf, parseSpec, providersOf, SpecError, validateSpec, type LabSpec } from './spec.js';
import { repoRoot } from './kernel.js';

const minimal = () => ({
  name: 'x',
  description: 'one drive',
  fabric: [{ kind: 'root-port', child: { kind: 'nvme', name: 'a', cmbMb: 64 } }],
  expect: [{ client: 'a', provider: 'a', kernel: 'ok' }],
});

function problems(v: unknown): string[] {
  try {
    validateSpec(v);
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected SpecError, got ${e}`);
    return e.problems;
  }
  assert.fail('spec was accepted');
}

test('a minimal spec gets the documented defaults', () => {
  const s = validateSpec(minimal());
  assert.equal(s.cpu, 'intel');
  assert.equal(s.iommu, false);
  assert.equal(s.memoryMb, 1024);
  assert.equal(s.readBytes, 1048576);
  assert.deepEqual(s.kernelArgs, []);
  assert.equal(drivesOf(s)[0]!.sizeMb, 8);
});

test('unknown kinds and fields are named with their path', () => {
  const v = minimal() as Record<string, unknown>;
  v.fabric = [{ kind: 'root-port', child: { kind: 'nvm', name: 'a' } }];
  v.colour = 'blue';
  const p = problems(v);
  assert.ok(p.some((x) => x.includes('fabric[0].child.kind') && x.includes('"nvm"')), p.join('\n'));
  assert.ok(p.some((x) => x.includes('unknown field "colour"')), p.join('\n'));
});

test('switches must sit below a port; root ports cannot nest', () => {
  const v = minimal();
  (v as Record<string, unknown>).fabric = [
    { kind: 'switch', downstream: [{ kind: 'nvme', name: 'a', cmbMb: 64 }] },
    { kind: 'root-port', child: { kind: 'root-port' } },
  ];
  const p = problems(v);
  assert.ok(p.some((x) => x.startsWith('fabric[0]:') && x.includes('below a root port')), p.join('\n'));
  assert.ok(p.some((x) => x.startsWith('fabric[1].child:') && x.includes('cannot sit below a port')), p.join('\n'));
});

test('drive names: unique, serial-safe', () => {
  const v = minimal();
  (v as Record<string, unknown>).fabric = [
    { kind: 'root-port', child: { kind: 'nvme', name: 'a', cmbMb: 64 } },
    { kind: 'root-port', child: { kind: 'nvme', name: 'a' } },
    { kind: 'root-port', child: { kind: 'nvme', name: 'Bad Name' } },
  ];
  const p = problems(v);
  assert.ok(p.some((x) => x.includes('"a" is defined twice')));
  assert.ok(p.some((x) => x.includes('fabric[2].child.name')));
});

test('expectations must cover every (drive, CMB drive) pair exactly once', () => {
  const v = minimal();
  v.fabric = [
    { kind: 'root-port', child: { kind: 'nvme', name: 'a', cmbMb: 64 } },
    { kind: 'root-port', child: { kind: 'nvme', name: 'b' } } as never,
  ];
  v.expect = [
    { client: 'a', provider: 'a', kernel: 'ok' },
    { client: 'a', provider: 'a', kernel: 'ok' },
    { client: 'a', provider: 'b', kernel: 'ok' },
    { client: 'zz', provider: 'a', kernel: 'maybe' },
  ];
  const p = problems(v);
  assert.ok(p.some((x) => x.includes('listed twice')), p.join('\n'));
  assert.ok(p.some((x) => x.includes('"b" has no CMB')), p.join('\n'));
  assert.ok(p.some((x) => x.includes('expect[3].client')), p.join('\n'));
  assert.ok(p.some((x) => x.includes('expect[3].kernel') && x.includes('ok, EREMOTEIO, mismatch')), p.join('\n'));
  assert.ok(p.some((x) => x.includes('no entry for pair b->a')), p.join('\n'));
});

test('extra host bridges need bus numbers clear of the main root complex and of each other', () => {
  const v = minimal();
  v.fabric = [
    { kind: 'root-port', child: { kind: 'switch', downstream: [{ kind: 'nvme', name: 'a', cmbMb: 64 }, null] } } as never,
    { kind: 'host-bridge', busNr: 3, children: [{ kind: 'root-port' }] } as never,
    { kind: 'host-bridge', busNr: 4, children: [{ kind: 'root-port' }] } as never,
  ];
  const p = problems(v);
  // root port 1 + switch internal 1 + 2 downstream = 4 buses below pcie.0
  assert.ok(p.some((x) => x.includes('fabric[1].busNr: 3 collides with the 4 bus numbers')), p.join('\n'));
  assert.ok(p.some((x) => x.includes('fabric[2].busNr: 4 collides with fabric[1]')), p.join('\n'));
});

test('numbers are range-checked and readBytes must fit the CMB and the drive', () => {
  const v = { ...minimal(), memoryMb: 10, readBytes: 5000, timeoutSec: 'long', cpu: 'arm' };
  const p = problems(v);
  assert.ok(p.some((x) => x.startsWith('memoryMb')));
  assert.ok(p.some((x) => x.startsWith('readBytes: must be a multiple of 4096')));
  assert.ok(p.some((x) => x.startsWith('timeoutSec')));
  assert.ok(p.some((x) => x.startsWith('cpu: must be one of intel, amd, qemu64')));
  const big = { ...minimal(), readBytes: 2 << 20, fabric: [{ kind: 'root-port', child: { kind: 'nvme', name: 'a', cmbMb: 1, sizeMb: 1 } }] };
  const bp = problems(big);
  assert.ok(bp.some((x) => x.includes('cmbMb 1 is smaller than readBytes')), bp.join('\n'));
  assert.ok(bp.some((x) => x.includes('sizeMb 1 is smaller than readBytes')), bp.join('\n'));
});

test('kernelArgs cannot take over the runner', () => {
  assert.ok(problems({ ...minimal(), kernelArgs: ['init=/bin/bash'] }).some((x) => x.startsWith('kernelArgs')));
  assert.ok(problems({ ...minimal(), kernelArgs: ['a b'] }).some((x) => x.startsWith('kernelArgs')));
  assert.deepEqual(validateSpec({ ...minimal(), kernelArgs: ['pci=realloc'] }).kernelArgs, ['pci=realloc']);
});

test('JSON syntax errors are SpecErrors naming the file', () => {
  assert.throws(() => parseSpec('{', 'x.json'), (e: unknown) => e instanceof SpecError && e.message.startsWith('x.json: invalid lab spec') && e.message.includes('not valid JSON'));
});

test('every shipped spec is valid, and together they cover the fabrics the lab promises', () => {
  const dir = join(repoRoot(), 'test', 'lab', 'specs');
  const specs: LabSpec[] = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => parseSpec(readFileSync(join(dir, f), 'utf8'), f));
  assert.ok(specs.length >= 8, `only ${specs.length} specs`);
  assert.equal(new Set(specs.map((s) => s.name)).size, specs.length, 'spec names are unique');
  const has = (what: string, f: (s: LabSpec) => boolean) => assert.ok(specs.some(f), `no spec covers: ${what}`);
  const switchDepth = (s: LabSpec): number => {
    let max = 0;
    const walk = (n: unknown, d: number): void => {
      if (!n || typeof n !== 'object') return;
      const o = n as { kind: string; downstream?: unknown[]; child?: unknown; children?: unknown[] };
      const nd = o.kind === 'switch' ? d + 1 : d;
      max = Math.max(max, nd);
      [...(o.downstream ?? []), o.child, ...(o.children ?? [])].forEach((c) => walk(c, nd));
    };
    s.fabric.forEach((n) => walk(n, 0));
    return max;
  };
  has('one switch', (s) => switchDepth(s) === 1 && !s.iommu);
  has('own CMB', (s) => drivesOf(s).length === 1 && providersOf(s).length === 1);
  has('root ports on Intel refused', (s) => s.cpu === 'intel' && s.expect.some((e) => e.kernel === 'EREMOTEIO'));
  has('root ports on AMD', (s) => s.cpu === 'amd' && !s.fabric.some((n) => n.kind === 'host-bridge'));
  has('cascaded switches', (s) => switchDepth(s) >= 2);
  has('extra host bridge', (s) => s.fabric.some((n) => n.kind === 'host-bridge'));
  has('switch behind a switch with three drives', (s) => switchDepth(s) >= 2 && drivesOf(s).length >= 3);
  has('IOMMU on, success with wrong data', (s) => s.iommu && s.expect.some((e) => e.kernel === 'mismatch'));
});

test('SR-IOV VFs: 1-4, and not on a drive with a CMB (QEMU allows no CMB with SR-IOV)', () => {
  const base = { name: 't', description: 't', expect: [{ client: 'a', provider: 'a', kernel: 'ok' }] };
  assert.throws(() => validateSpec({ ...base, fabric: [{ kind: 'root-port', child: { kind: 'nvme', name: 'a', cmbMb: 64, vfs: 2 } }] }), /vfs and cmbMb cannot go together/);
  assert.throws(() => validateSpec({ ...base, fabric: [{ kind: 'root-port', child: { kind: 'nvme', name: 'a', cmbMb: 64 } }, { kind: 'root-port', child: { kind: 'nvme', name: 'v', vfs: 5 } }] }), /vfs/);
  const ok = validateSpec({ ...base, fabric: [{ kind: 'root-port', child: { kind: 'nvme', name: 'a', cmbMb: 64 } }, { kind: 'root-port', child: { kind: 'nvme', name: 'v', vfs: 4 } }],
    expect: [...base.expect, { client: 'v', provider: 'a', kernel: 'EREMOTEIO' }] });
  assert.equal((ok.fabric[1] as { child: { vfs?: number } }).child.vfs, 4);
});

test('device-memory fields: nvdimm, cxl, rdma, udmabuf are checked with their paths', () => {
  const ok = validateSpec({ ...minimal(), nvdimm: { sizeMb: 256 }, cxl: { sizeMb: 128 }, rdma: ['siw'], udmabuf: true });
  assert.deepEqual([ok.nvdimm, ok.cxl, ok.rdma, ok.udmabuf], [{ sizeMb: 256, mode: 'devdax' }, { sizeMb: 128, busNr: 52 }, ['siw'], true]);
  const p = problems({ ...minimal(), nvdimm: { sizeMb: 100, mode: 'pmem' }, cxl: 'yes', rdma: ['rxe', 'rxe'], udmabuf: 1 });
  for (const want of ['nvdimm.sizeMb', 'nvdimm.mode', 'cxl: must be an object', 'rdma: a list of distinct', 'udmabuf: must be true or false']) {
    assert.ok(p.some((x) => x.includes(want)), `${want} in\n${p.join('\n')}`);
  }
  const plain = validateSpec(minimal());
  assert.equal('nvdimm' in plain || 'cxl' in plain || 'rdma' in plain || 'udmabuf' in plain, false, 'absent fields stay absent');
});
