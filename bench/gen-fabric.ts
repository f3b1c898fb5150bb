// Writes a synthetic DGX-like machine as a sysfs tree (readable by p2p --root and by lspci -A linux-sysfs).
// Shape per socket: host bridges, each with a root port -> switch -> GPUs, NVMe and a dual-port NIC
// whose PFs carry SR-IOV VFs; enough VFs to reach the requested function count. Shapes: the default
// DGX-like node, `xe8640` (4 GPUs, 6 NICs, 120 VFs per Mellanox PF: 521 functions), and any of them
// repeated over several PCI domains (five 2,000-function fabrics make the 10,000-function one).
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Fn {
  bdf: string;
  dir: string; // relative to sys/devices
  cfg: Uint8Array;
  attrs: Record<string, string>;
  driver?: string;
  iommuGroup: number;
  classLinks?: [string, string][]; // [class, name]
  physfn?: string;
}

function hex(n: number, w: number) {
  return n.toString(16).padStart(w, '0');
}

class Cfg {
  b: Uint8Array = new Uint8Array(4096);
  w8(o: number, v: number) { this.b[o] = v & 0xff; return this; }
  w16(o: number, v: number) { this.w8(o, v); return this.w8(o + 1, v >> 8); }
  w32(o: number, v: number) { this.w16(o, v & 0xffff); return this.w16(o + 2, v >>> 16); }
}

/** Header, an Express capability of the given port type at 0x40, ACS on bridges, AER everywhere. */
function config(vendor: number, device: number, cls: number, portType: number, bridge: boolean, gen: number, width: number, bus?: [number, number, number]): Uint8Array {
  const c = new Cfg();
  c.w16(0, vendor).w16(2, device).w16(4, 0x0406).w16(6, 0x0010).w32(8, (cls << 8) | 0xa1).w8(0x0e, bridge ? 1 : 0);
  if (bus) c.w8(0x18, bus[0]).w8(0x19, bus[1]).w8(0x1a, bus[2]);
  c.w8(0x34, 0x40);
  c.w8(0x40, 0x10).w8(0x41, 0x00).w16(0x42, 0x2 | (portType << 4));
  c.w32(0x44, 0x2).w16(0x48, (1 << 5) | (2 << 12) | 0x10);
  c.w32(0x4c, gen | (width << 4)).w16(0x52, gen | (width << 4));
  c.w32(0x6c, ((1 << gen) - 1) << 1);
  c.w32(0x100, 0x0001 | (1 << 16) | ((bridge ? 0x148 : 0) << 20));
  if (bridge) c.w32(0x148, 0x000d | (1 << 16)).w16(0x14c, 0x5f).w16(0x14e, portType === 6 ? 0x1d : 0);
  return c.b;
}

export interface GenOptions {
  /** Target number of PCI functions per domain (VFs fill the remainder); ignored for VFs when vfsPerPf is set. */
  functions: number;
  sockets?: number;
  hostBridgesPerSocket?: number;
  /** What sits below each switch's downstream ports, per host bridge (cycled); 'nic2' is a dual-PF NIC, 'brcm' a NIC without VFs. */
  switchPorts?: string[][];
  /** Exactly this many VFs on every Mellanox PF (instead of filling up to `functions`). */
  vfsPerPf?: number;
  /** The same fabric in this many PCI domains (0000, 0001, ...). */
  domains?: number;
}

/** Named shapes for the benchmarks (see docs/benchmarks.md). */
export const SHAPES: Record<string, Omit<GenOptions, 'functions'> & { functions?: number }> = {
  dgx: {},
  // Dell XE8640-like: 2 sockets x 2 host bridges, 4 H100, 4 ConnectX PFs with 120 VFs each, a dual-port Broadcom NIC, NVMe.
  xe8640: {
    sockets: 2, hostBridgesPerSocket: 2, vfsPerPf: 120,
    switchPorts: [['gpu', 'nic', 'nvme'], ['gpu', 'nic', 'nvme', 'brcm2'], ['gpu', 'nic', 'nvme'], ['gpu', 'nic', 'nvme', 'brcm']],
  },
};

const DEFAULT_PORTS = [['gpu', 'gpu', 'nic2', 'nvme', 'nvme']];

export function generateFabric(root: string, opts: GenOptions): number {
  const fns: Fn[] = [];
  const counter = { group: 0, nvme: 0, nic: 0 };
  for (let d = 0; d < (opts.domains ?? 1); d++) buildDomain(fns, d, opts, counter);
  writeTree(root, fns, opts.sockets ?? 2);
  return fns.length;
}

function buildDomain(fns: Fn[], domain: number, opts: GenOptions, counter: { group: number; nvme: number; nic: number }): void {
  const sockets = opts.sockets ?? 2;
  const hbs = opts.hostBridgesPerSocket ?? 4;
  const dom = hex(domain, 4);
  const first = fns.length;
  let group = counter.group;
  const netPrefix = domain ? `enP${domain}p` : 'ens'; // systemd's names carry the domain when it is not 0
  let bus = 0;
  const nics: Fn[] = [];
  for (let s = 0; s < sockets; s++) {
    for (let h = 0; h < hbs; h++) {
      const root0 = bus === 0 ? 0 : bus;
      const hb = `pci${dom}:${hex(root0, 2)}`;
      const rpBus = root0;
      bus = root0 + 1;
      const upBus = bus;
      const downBus = bus + 1;
      const kinds = (opts.switchPorts ?? DEFAULT_PORTS)[(s * hbs + h) % (opts.switchPorts ?? DEFAULT_PORTS).length];
      const ports = kinds.length;
      const firstLeaf = downBus + 1;
      const last = firstLeaf + ports - 1;
      const rp = `${dom}:${hex(rpBus, 2)}:01.0`;
      const rpDir = `${hb}/${rp}`;
      const numa = String(s);
      const cpus = s === 0 ? '0-31' : '32-63';
      const attrs = (gen: number, width: number) => ({ numa_node: numa, local_cpulist: cpus, current_link_speed: `${[0, 2.5, 5, 8, 16, 32][gen]} GT/s PCIe`, current_link_width: String(width), max_link_speed: `${[0, 2.5, 5, 8, 16, 32][gen]} GT/s PCIe`, max_link_width: String(width) });
      fns.push({ bdf: `${dom}:${hex(rpBus, 2)}:00.0`, dir: `${hb}/0000:${hex(rpBus, 2)}:00.0`, cfg: config(0x8086, 0x09a2, 0x060000, 9, false, 0, 0), attrs: { numa_node: numa, local_cpulist: cpus }, iommuGroup: group++ });
      fns.push({ bdf: rp, dir: rpDir, cfg: config(0x8086, 0x347a, 0x060400, 4, true, 4, 16, [rpBus, upBus, last]), attrs: attrs(4, 16), driver: 'pcieport', iommuGroup: group++ });
      const up = `${dom}:${hex(upBus, 2)}:00.0`;
      const upDir = `${rpDir}/${up}`;
      fns.push({ bdf: up, dir: upDir, cfg: config(0x10b5, 0xc010, 0x060400, 5, true, 4, 16, [upBus, downBus, last]), attrs: attrs(4, 16), driver: 'pcieport', iommuGroup: group++ });
      for (let p = 0; p < ports; p++) {
        const leafBus = firstLeaf + p;
        const dp = `${dom}:${hex(downBus, 2)}:${hex(p * 4, 2)}.0`;
        const dpDir = `${upDir}/${dp}`;
        fns.push({ bdf: dp, dir: dpDir, cfg: config(0x10b5, 0xc010, 0x060400, 6, true, 4, 16, [downBus, leafBus, leafBus]), attrs: attrs(4, 16), driver: 'pcieport', iommuGroup: group++ });
        const leaf = `${dom}:${hex(leafBus, 2)}:00.0`;
        const kind = kinds[p];
        if (kind === 'gpu') {
          fns.push({ bdf: leaf, dir: `${dpDir}/${leaf}`, cfg: config(0x10de, 0x20b0, 0x030200, 0, false, 4, 16), attrs: attrs(4, 16), driver: 'nvidia', iommuGroup: group++ });
        } else if (kind === 'nvme') {
          const n = counter.nvme++;
          fns.push({ bdf: leaf, dir: `${dpDir}/${leaf}`, cfg: config(0x144d, 0xa824, 0x010802, 0, false, 4, 4), attrs: attrs(4, 4), driver: 'nvme', iommuGroup: group++, classLinks: [['nvme', `nvme${n}`], ['block', `nvme${n}n1`]] });
        } else if (kind.startsWith('brcm')) {
          for (let pf = 0; pf < (kind === 'brcm2' ? 2 : 1); pf++) {
            const bdf = `${dom}:${hex(leafBus, 2)}:00.${pf}`;
            fns.push({ bdf, dir: `${dpDir}/${bdf}`, cfg: config(0x14e4, 0x1750, 0x020000, 0, false, 4, 16), attrs: attrs(4, 16), driver: 'bnxt_en', iommuGroup: group++, classLinks: [['net', `${netPrefix}${leafBus}f${pf}`]] });
          }
        } else {
          for (let pf = 0; pf < (kind === 'nic2' ? 2 : 1); pf++) {
            const bdf = `${dom}:${hex(leafBus, 2)}:00.${pf}`;
            const f: Fn = { bdf, dir: `${dpDir}/${bdf}`, cfg: config(0x15b3, 0x101d, 0x020000, 0, false, 4, 16), attrs: attrs(4, 16), driver: 'mlx5_core', iommuGroup: group++, classLinks: [['net', `${netPrefix}${leafBus}f${pf}np${pf}`], ['infiniband', `mlx5_${counter.nic++}`]] };
            fns.push(f);
            nics.push(f);
          }
        }
      }
      bus = last + 1;
    }
  }
  // SR-IOV VFs fill the fabric up to the requested size, spread over every NIC PF (ARI numbering).
  const vfTotal = opts.vfsPerPf !== undefined ? opts.vfsPerPf * nics.length : Math.max(0, opts.functions - (fns.length - first));
  const perPf = opts.vfsPerPf ?? Math.min(120, Math.ceil(vfTotal / Math.max(1, nics.length)));
  let made = 0;
  for (const pf of nics) {
    const [dom, b] = pf.bdf.split(':');
    const pfFn = parseInt(pf.bdf.slice(-1), 10);
    const vfs = Math.max(0, Math.min(perPf, vfTotal - made));
    if (vfs > 0) {
      // The PF's SR-IOV capability after AER, as on the real part: VF count, RID offset/stride, VF Device ID.
      const c = new Cfg();
      c.b = pf.cfg;
      c.w32(0x100, (c.b[0x100] | (c.b[0x101] << 8) | (c.b[0x102] << 16)) | (0x148 << 20));
      c.w32(0x148, 0x0010 | (1 << 16)).w16(0x150, 0x0011).w16(0x154, perPf).w16(0x156, perPf).w16(0x158, vfs);
      c.w16(0x15c, 8 + pfFn * perPf - pfFn).w16(0x15e, 1).w16(0x162, 0x101e);
    }
    for (let v = 0; v < perPf && made < vfTotal; v++, made++) {
      const rid = 8 + pfFn * perPf + v;
      const bdf = `${dom}:${b}:${hex(rid >> 3, 2)}.${rid & 7}`;
      const cfg = config(0xffff, 0xffff, 0x020000, 0, false, 4, 16);
      fns.push({ bdf, dir: `${path.dirname(pf.dir)}/${bdf}`, cfg, attrs: { ...pf.attrs, vendor: '0x15b3', device: '0x101e' }, driver: 'mlx5_core', iommuGroup: group++, physfn: pf.bdf });
    }
  }
  counter.group = group;
}

function writeTree(root: string, fns: readonly Fn[], sockets: number): void {

  fs.rmSync(root, { recursive: true, force: true });
  const sys = path.join(root, 'sys');
  fs.mkdirSync(path.join(sys, 'bus/pci/devices'), { recursive: true });
  for (const f of fns) {
    const dir = path.join(sys, 'devices', f.dir);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config'), f.cfg);
    const c = f.cfg;
    const v = f.attrs.vendor ?? `0x${hex(c[0] | (c[1] << 8), 4)}`;
    const d = f.attrs.device ?? `0x${hex(c[2] | (c[3] << 8), 4)}`;
    const files: Record<string, string> = { ...f.attrs, vendor: v, device: d, class: `0x${hex(c[9] | (c[10] << 8) | (c[11] << 16), 6)}`, resource: '0x0000000000000000 0x0000000000000000 0x0000000000000000\n'.repeat(13) };
    for (const [k, val] of Object.entries(files)) fs.writeFileSync(path.join(dir, k), val + '\n');
    const depth = f.dir.split('/').length + 1; // from sys/devices/<dir> back to sys/
    const up = '../'.repeat(depth);
    fs.symlinkSync(`../../../devices/${f.dir}`, path.join(sys, 'bus/pci/devices', f.bdf));
    if (f.driver) {
      fs.mkdirSync(path.join(sys, 'bus/pci/drivers', f.driver), { recursive: true });
      fs.symlinkSync(`${up}bus/pci/drivers/${f.driver}`, path.join(dir, 'driver'));
    }
    fs.mkdirSync(path.join(sys, 'kernel/iommu_groups', String(f.iommuGroup), 'devices'), { recursive: true });
    fs.writeFileSync(path.join(sys, 'kernel/iommu_groups', String(f.iommuGroup), 'type'), 'DMA-FQ\n');
    fs.symlinkSync(`${up}kernel/iommu_groups/${f.iommuGroup}`, path.join(dir, 'iommu_group'));
    if (f.physfn) fs.symlinkSync(`../${f.physfn}`, path.join(dir, 'physfn'));
    for (const [cls, name] of f.classLinks ?? []) {
      const sub = cls === 'block' ? `nvme/${name.replace(/n\d+$/, '')}/${name}` : `${cls}/${name}`;
      fs.mkdirSync(path.join(dir, sub), { recursive: true });
      fs.mkdirSync(path.join(sys, 'class', cls), { recursive: true });
      fs.symlinkSync(`../../devices/${f.dir}/${sub}`, path.join(sys, 'class', cls, name));
    }
  }
  fs.mkdirSync(path.join(sys, 'class/iommu/dmar0'), { recursive: true });
  fs.mkdirSync(path.join(sys, 'devices/system/node'), { recursive: true });
  fs.writeFileSync(path.join(sys, 'devices/system/node/online'), `0-${sockets - 1}\n`);
  fs.mkdirSync(path.join(root, 'proc/sys/kernel'), { recursive: true });
  fs.writeFileSync(path.join(root, 'proc/cpuinfo'), 'processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\n');
  fs.writeFileSync(path.join(root, 'proc/cmdline'), 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt\n');
  fs.writeFileSync(path.join(root, 'proc/sys/kernel/osrelease'), '6.8.0-generated\n');
}

// CLI: node dist/bench/gen-fabric.js DIR [FUNCTIONS] [SHAPE] [DOMAINS]
if (process.argv[1] && path.resolve(process.argv[1]).endsWith(path.join('bench', 'gen-fabric.js'))) {
  const [dir, fnArg, shapeArg, domArg] = process.argv.slice(2);
  const shape = SHAPES[shapeArg ?? 'dgx'];
  if (!dir || !shape) {
    process.stderr.write(`usage: node dist/bench/gen-fabric.js DIR [FUNCTIONS] [${Object.keys(SHAPES).join('|')}] [DOMAINS]\n`);
    process.exitCode = 2;
  } else {
    const n = generateFabric(dir, { ...shape, functions: parseInt(fnArg ?? '2000', 10), domains: parseInt(domArg ?? '1', 10) });
    process.stdout.write(`${n} functions written under ${dir}\n`);
  }
}
