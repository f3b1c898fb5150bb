// NCCL's decisions on providers' topology files, on a user's NCCL log, on the refdata and stelline trees
// (exported to NCCL XML and read back), and the differences from nvidia-smi's legend explained.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseNcclXml } from '../../../src/access/nccl-xml.js';
import { readSysfsFabric } from '../../../src/access/sysfs.js';
import { writeNcclXml } from '../../../src/format/nccl-xml.js';
import { buildNcclReport, type NcclPair } from '../../../src/model/nccl/decide.js';
import { parseNcclEnv } from '../../../src/model/nccl/env.js';
import { ancestry, buildNcclSystem } from '../../../src/model/nccl/system.js';
import { nodeLabel } from '../../../src/model/nccl/paths.js';
import { buildFabric } from '../../../src/model/topology.js';
import type { Fabric } from '../../../src/model/types.js';
import { UserError } from '../../../src/errors.js';
import { HWLOC_TREES, REPO_ROOT, haveRefdata, hwlocRoot } from '../../helpers/refdata.js';
import { fabricFromLspciTree, parseNumaTable } from '../../helpers/lspci-tree.js';

const FIX = path.join(REPO_ROOT, 'test/fixtures/nccl');
const env = (o: Record<string, string> = {}) => parseNcclEnv({}, o);
const xmlFabric = (file: string) => buildFabric(parseNcclXml(fs.readFileSync(path.join(FIX, file), 'utf8'), file));
const pair = (ps: NcclPair[], a: string, b: string) => ps.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a))!;

/** The answers that must survive an XML round trip (not the kernel verdict or legend: an XML cannot carry those). */
const answers = (f: Fabric) => {
  const sys = buildNcclSystem(f);
  // Where NCCL places every GPU and NIC (its chain of PCI nodes up to the CPU), then every pair's answers.
  const places = [...sys.gpus, ...sys.nics].map((n) => `${n.id}: ${ancestry(sys, n.id).map(nodeLabel).join(' > ')}`);
  const pairs = buildNcclReport(f, env()).pairs.map((p) => [p.a, p.b, p.path, p.pciPath, p.p2p, p.transport, p.gdr, p.gdrRead, p.pxnVia].join(' '));
  return [...places, ...pairs];
};

describe('NCCL topology XML from providers', () => {
  it('Azure NDv4 (AMD, 8 GPUs, 4 NUMA nodes): PIX inside a virtual switch, SYS across, P2P only within', () => {
    const r = buildNcclReport(xmlFabric('azure-ndv4-topo.xml'), env());
    assert.equal(r.gpus.length, 8);
    assert.equal(r.nics.length, 8);
    assert.equal(r.p2pLevel.type, 'PXB'); // AMD, but more than two GPUs
    const inSwitch = pair(r.pairs, '0003:00:00.0', '0004:00:00.0');
    assert.equal(inSwitch.path, 'PIX');
    assert.equal(inSwitch.p2p, true);
    const across = pair(r.pairs, '0003:00:00.0', '0001:00:00.0');
    assert.equal(across.path, 'SYS');
    assert.equal(across.p2p, false);
    assert.equal(across.transport, 'SHM');
    const nic = pair(r.pairs, '0003:00:00.0', '0103:00:00.0');
    assert.equal(nic.path, 'PIX');
    assert.equal(nic.gdr, null, 'close enough, but GPUDirect support is not in a provider file');
    const far = pair(r.pairs, '0003:00:00.0', '0101:00:00.0');
    assert.equal(far.path, 'SYS');
    assert.equal(far.gdr, false);
    // NDv4's A100s sit on NVSwitch, which a provider file leaves to NVML: NVLink (and so PXN) is unknown.
    assert.ok(across.needsGpu.some((n) => /NVLink/.test(n)), 'a provider file lists no <gpu>: NVLink unknown');
    assert.ok(far.needsGpu.some((n) => /PXN/.test(n)), 'with NVLink to the NIC\'s own GPU NCCL would use PXN');
    assert.ok(r.unknown.some((u) => /no <gpu> elements/.test(u)));
  });

  it('Azure NDv5 and AWS p4d parse: one GPU per switch (PIX to its NIC), two GPUs and a NIC per p4d switch', () => {
    const v5 = buildNcclReport(xmlFabric('azure-ndv5-topo.xml'), env());
    assert.equal(v5.gpus.length, 8);
    assert.equal(pair(v5.pairs, '0001:00:00.0', '0002:00:00.0').path, 'PHB');
    assert.equal(pair(v5.pairs, '0001:00:00.0', '0101:00:00.0').path, 'PIX');
    const p4d = buildNcclReport(xmlFabric('aws-p4d-24xl-topo.xml'), env());
    assert.equal(p4d.gpus.length, 8);
    assert.equal(p4d.nics.length, 4);
    assert.equal(pair(p4d.pairs, '0000:10:1c.0', '0000:10:1d.0').path, 'PIX');
    assert.equal(pair(p4d.pairs, '0000:10:1c.0', '0000:20:1c.0').path, 'PHB');
    assert.equal(pair(p4d.pairs, '0000:10:1c.0', '0000:20:1c.0').p2p, false);
  });

  it('the environment moves the levels the way NCCL parses them', () => {
    const f = xmlFabric('aws-p4d-24xl-topo.xml');
    const phb = (o: Record<string, string>) => pair(buildNcclReport(f, env(o)).pairs, '0000:10:1c.0', '0000:20:1c.0');
    assert.equal(phb({ NCCL_P2P_LEVEL: 'PHB' }).p2p, true);
    assert.equal(phb({ NCCL_P2P_LEVEL: '3' }).p2p, true, 'old numbering: 3 is PHB');
    assert.equal(phb({ NCCL_P2P_LEVEL: 'SYS', NCCL_P2P_DISABLE: '1' }).p2p, false);
    assert.equal(phb({ NCCL_SHM_DISABLE: '1' }).transport, 'NET');
    const gdr = (o: Record<string, string>) => pair(buildNcclReport(f, env(o)).pairs, '0000:10:1c.0', '0000:20:1b.0');
    assert.equal(gdr({}).gdr, false);
    assert.notEqual(gdr({ NCCL_NET_GDR_LEVEL: 'PHB' }).gdr, false);
    assert.ok(env({ NCCL_P2P_LEVEL: 'phb' }).warnings.length === 1, 'names are case-sensitive in NCCL');
  });

  it('<gpu>, <nic>/<net gdr> and NVLinks in a dump decide GDR and NVL/PXN', () => {
    const xml = `<system version="1"><cpu numaid="0" arch="x86_64" vendor="GenuineIntel" familyid="6">
      <pci busid="0000:10:00.0" class="0x060400" vendor="0x1000" device="0xc010">
        <pci busid="0000:11:00.0" class="0x030200" vendor="0x10de"><gpu dev="0" sm="90" gdr="1"><nvlink target="0000:ff:00.0" count="18" tclass="0x068000"/></gpu></pci>
        <pci busid="0000:12:00.0" class="0x020700" vendor="0x15b3"><nic><net name="mlx5_0" dev="0" speed="400000" gdr="1"/></nic></pci>
      </pci></cpu>
      <cpu numaid="1" arch="x86_64" vendor="GenuineIntel" familyid="6">
      <pci busid="0000:90:00.0" class="0x030200" vendor="0x10de"><gpu dev="1" sm="90" gdr="1"><nvlink target="0000:ff:00.0" count="18" tclass="0x068000"/></gpu></pci>
      </cpu></system>`;
    const r = buildNcclReport(buildFabric(parseNcclXml(xml, 't.xml')), env());
    assert.equal(pair(r.pairs, '0000:11:00.0', '0000:90:00.0').path, 'NVL');
    const near = pair(r.pairs, '0000:11:00.0', '0000:12:00.0');
    assert.equal(near.gdr, true);
    const pxn = pair(r.pairs, '0000:90:00.0', '0000:12:00.0');
    assert.equal(pxn.pciPath, 'SYS');
    assert.equal(pxn.path, 'PXN');
    assert.equal(pxn.pxnVia, '0000:11:00.0');
    assert.equal(pxn.gdr, true, 'GDR judged by the PXN peer\'s distance');
    assert.equal(pair(buildNcclReport(buildFabric(parseNcclXml(xml, 't.xml')), env({ NCCL_PXN_DISABLE: '1' })).pairs, '0000:90:00.0', '0000:12:00.0').path, 'SYS');
  });

  it('a Broadcom PEX gen4 switch in base mode is flattened (PIX across its sub-switches); another two-level switch is PXB', () => {
    const xml = (vendor: string, device: string) => `<system version="1"><cpu numaid="0">
      <pci busid="0000:10:00.0" class="0x060400" vendor="0x${vendor}" device="0x${device}" subsystem_vendor="0x${vendor}" subsystem_device="0xa064">
        <pci busid="0000:11:00.0" class="0x060400" vendor="0x${vendor}" device="0x${device}" subsystem_vendor="0x${vendor}" subsystem_device="0xa064"><pci busid="0000:12:00.0" class="0x030200"/></pci>
        <pci busid="0000:21:00.0" class="0x060400" vendor="0x${vendor}" device="0x${device}" subsystem_vendor="0x${vendor}" subsystem_device="0xa064"><pci busid="0000:22:00.0" class="0x030200"/></pci>
      </pci></cpu></system>`;
    const path = (v: string, d: string) => pair(buildNcclReport(buildFabric(parseNcclXml(xml(v, d), 'b.xml')), env()).pairs, '0000:12:00.0', '0000:22:00.0');
    assert.equal(path('1000', 'c010').path, 'PIX');
    assert.match(path('1000', 'c010').difference, /PIX/);
    assert.equal(path('10b5', '8747').path, 'PXB');
  });

  it('bad files are one clear UserError', () => {
    assert.throws(() => parseNcclXml('<system><cpu numaid="0"><pci busid="zz"/></cpu></system>', 'b.xml'), UserError);
    assert.throws(() => parseNcclXml('<topology/>', 'b.xml'), /no <system>/);
    assert.throws(() => parseNcclXml('<system><cpu><pci busid="0000:01:00.0"></cpu></system>', 'b.xml'), UserError);
  });

  it('written XML reads back to the same answers', () => {
    for (const f of ['azure-ndv4-topo.xml', 'aws-p4d-24xl-topo.xml']) {
      const a = xmlFabric(f);
      const b = buildFabric(parseNcclXml(writeNcclXml(a), 'again.xml'));
      assert.deepEqual(answers(b), answers(a), f);
    }
  });
});

/** "GPU/1A000 :GPU/1B000 (2/12.0/PIX) ..." lines of an NCCL log: from|to -> printed path type. */
function printedGpuPaths(log: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of log.matchAll(/GPU\/(\w+) :((?:\s*\w+\/\w+ \(\d+\/[\d.]+\/\w+\))+)/g)) {
    for (const e of m[2].matchAll(/GPU\/(\w+) \(\d+\/[\d.]+\/(\w+)\)/g)) if (e[1] !== m[1]) out.set(`${m[1]}|${e[1]}`, e[2]);
  }
  return out;
}
const busId = (id: string) => `0000:${id.padStart(5, '0').slice(0, 2).toLowerCase()}:00.0`;

describe("a user's NCCL log (issue 1358): the paths NCCL printed", () => {
  // The system print puts GPU/2A000 under CPU/0 (1 hop), GPU/AB000 under CPU/2 and NIC/3D000 under CPU/1.
  const printed = printedGpuPaths(fs.readFileSync(path.join(FIX, 'nccl-issue-1358.txt'), 'utf8'));
  const xml = `<system version="1"><cpu numaid="0"><pci busid="0000:2a:00.0" class="0x030200"/></cpu>
    <cpu numaid="1"><pci busid="0000:3d:00.0" class="0x020000"/></cpu><cpu numaid="2"><pci busid="0000:ab:00.0" class="0x030200"/></cpu></system>`;
  it('GPU/2A000 to GPU/AB000 is SYS, as printed', () => {
    assert.equal(printed.get('2A000|AB000'), 'SYS');
    const r = buildNcclReport(buildFabric(parseNcclXml(xml, '1358.xml')), env());
    assert.equal(pair(r.pairs, '0000:2a:00.0', '0000:ab:00.0').path, printed.get('2A000|AB000'));
    assert.equal(pair(r.pairs, '0000:ab:00.0', '0000:2a:00.0').path, printed.get('AB000|2A000'));
  });
});

describe("a user's NCCL log (accelerate issue 2183): two PLX switches under one CPU", () => {
  // The system print, as XML: CPU/0 > PCI/18000 > GPU/1A000, GPU/1B000; CPU/0 > PCI/3B000 > GPU/3D000, GPU/3E000.
  const xml = `<system version="1"><cpu numaid="0">
    <pci busid="0000:18:00.0" class="0x060400" vendor="0x10b5" device="0x8747"><pci busid="0000:1a:00.0" class="0x030200"/><pci busid="0000:1b:00.0" class="0x030200"/></pci>
    <pci busid="0000:3b:00.0" class="0x060400" vendor="0x10b5" device="0x8747"><pci busid="0000:3d:00.0" class="0x030200"/><pci busid="0000:3e:00.0" class="0x030200"/></pci>
  </cpu></system>`;
  const printed = printedGpuPaths(fs.readFileSync(path.join(FIX, 'accelerate-issue-2183.txt'), 'utf8'));
  const r = buildNcclReport(buildFabric(parseNcclXml(xml, '2183.xml')), env());
  it('all 12 printed GPU paths match ours', () => {
    assert.equal(printed.size, 12);
    for (const [k, want] of printed) {
      const [a, b] = k.split('|').map(busId);
      assert.equal(pair(r.pairs, a, b).path, want, k);
    }
  });
  it('from a PCIe tree, NCCL\'s two-levels-up walk gives the tree NCCL printed (PCI/18000 is the switch\'s upstream port)', () => {
    // The same machine as lspci -tv would show it: NCCL's print names the upstream ports (18:00.0, 3b:00.0)
    // and the GPUs; the root ports and the downstream ports between (skipped by NCCL) are filled in.
    const tree = [
      '-[0000:00]-+-00.0  Intel Corporation Device 2020',
      '           +-01.0-[18-1b]----00.0-[19-1b]--+-08.0-[1a]----00.0  NVIDIA Corporation Device 2204',
      '           |                               \\-10.0-[1b]----00.0  NVIDIA Corporation Device 2204',
      '           \\-02.0-[3b-3e]----00.0-[3c-3e]--+-08.0-[3d]----00.0  NVIDIA Corporation Device 2204',
      '                                           \\-10.0-[3e]----00.0  NVIDIA Corporation Device 2204',
    ].join('\n');
    const f = fabricFromLspciTree(tree, parseNumaTable('00 0 0-15'), { numaNodes: [0] });
    const sys = buildNcclSystem(f);
    assert.deepEqual(sys.gpus.map((g) => ancestry(sys, g.id).map(nodeLabel).join(' > ')), [
      'GPU 0000:1a:00.0 > PCI 0000:18:00.0 > CPU 0', 'GPU 0000:1b:00.0 > PCI 0000:18:00.0 > CPU 0',
      'GPU 0000:3d:00.0 > PCI 0000:3b:00.0 > CPU 0', 'GPU 0000:3e:00.0 > PCI 0000:3b:00.0 > CPU 0',
    ]);
    const fromTree = buildNcclReport(f, env());
    for (const [k, want] of printed) {
      const [a, b] = k.split('|').map(busId);
      assert.equal(pair(fromTree.pairs, a, b).path, want, k);
    }
  });

  it('4 GPUs: P2P within a switch (PIX), SHM through the CPU (PHB) by default', () => {
    assert.equal(pair(r.pairs, '0000:1a:00.0', '0000:1b:00.0').transport, 'P2P');
    assert.equal(pair(r.pairs, '0000:1a:00.0', '0000:3d:00.0').transport, 'SHM');
  });
});

describe('refdata trees exported to NCCL XML and read back', { skip: haveRefdata() ? false : 'reference data not present' }, () => {
  let placed = 0;
  for (const name of HWLOC_TREES) {
    it(`${name}: same placement and answers`, () => {
      const a = buildFabric(readSysfsFabric(hwlocRoot(name)));
      const b = buildFabric(parseNcclXml(writeNcclXml(a), `${name}.xml`));
      assert.deepEqual(answers(b), answers(a));
      placed += buildNcclSystem(a).nics.length;
    });
  }
  it('the trees hold NICs to place (they have no GPUs: the stelline machines below do)', () => assert.ok(placed > 0));
});

function stelline(name: string, nodes: number[]): Fabric {
  const read = (f: string) => fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/nvtopo', f), 'utf8');
  return fabricFromLspciTree(read(`${name}.lspci-tv.txt`), parseNumaTable(read(`${name}.numa.txt`)), {
    cpuVendor: 'AuthenticAMD', cpuFamily: 0x19, numaNodes: nodes, iommuEnabled: false, isRoot: true,
  });
}

for (const [name, nodes] of [['asus-esc8000a-e12', [0, 1]], ['puget-threadripper-pro-wrx90', [0]]] as const) {
  describe(`stelline ${name}: NCCL against nvidia-smi's legend, pair by pair`, () => {
    const f = stelline(name, [...nodes]);
    const r = buildNcclReport(f, env());
    it('every pair where the two differ is explained', () => {
      const gpuPairs = r.pairs.filter((p) => p.kind === 'gpu-gpu');
      assert.ok(gpuPairs.length > 0);
      for (const p of r.pairs) {
        if (p.path === null || p.legend === null) continue;
        if (p.path === p.legend) assert.match(p.difference, /^same as nvidia-smi/, `${p.a} ${p.b}`);
        else if (p.legend === 'NODE') {
          assert.equal(p.path, 'PHB', `${p.a} ${p.b}: NODE to nvidia-smi is PHB to NCCL`);
          assert.match(p.difference, /NCCL has no NODE/);
        } else assert.match(p.difference, /NCCL/, `${p.a} ${p.b}: ${p.difference}`);
      }
    });
    it('exported and read back: same answers', () => {
      assert.deepEqual(answers(buildFabric(parseNcclXml(writeNcclXml(f), `${name}.xml`))), answers(f));
    });
  });
}
