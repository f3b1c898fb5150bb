// Fixtures for `p2p doctor`: config-space bytes from a few register values, small sysfs/procfs
// roots written to a temp dir (so nothing binary is committed), env facts, and the lab's q35 fabric.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { known, unknown, type EnvFacts } from '../../src/model/doctor/types.js';
import type { Fabric } from '../../src/model/types.js';
import type { DoctorInput } from '../../src/model/doctor/types.js';

// ---------------------------------------------------------------------------------------------
// Config space

export type PortKind = 'endpoint' | 'root-port' | 'upstream' | 'downstream';
const PORT_CODE: Record<PortKind, number> = { endpoint: 0x0, 'root-port': 0x4, upstream: 0x5, downstream: 0x6 };
/** GT/s -> LnkCap/LnkSta speed code. */
const SPEED_CODE: Record<number, number> = { 2.5: 1, 5: 2, 8: 3, 16: 4, 32: 5, 64: 6 };
const SIZE_CODE: Record<number, number> = { 128: 0, 256: 1, 512: 2, 1024: 3, 2048: 4, 4096: 5 };

export interface CfgSpec {
  vendor: number;
  device: number;
  classCode: number;
  /** Type 1 bridge with [primary, secondary, subordinate]. */
  buses?: [number, number, number];
  express?: {
    type: PortKind;
    mps?: number;
    mpsSupported?: number;
    mrrs?: number;
    relaxedOrdering?: boolean;
    link?: { speed: number; width: number; maxSpeed: number; maxWidth: number };
  };
  /** ACS capability and control bit masks (SrcValid=1, TransBlk=2, ReqRedir=4, CmpltRedir=8, UpstreamFwd=0x10, EgressCtrl=0x20). */
  acs?: { cap: number; ctl: number };
  aer?: { corr?: number; corrMask?: number; unc?: number; uncMask?: number; sev?: number };
  /** Resizable BAR for one BAR: supported sizes as log2(MiB) values and the current one. */
  rebar?: { bar: number; sizesLog2Mb: number[]; currentLog2Mb: number };
  /** Bytes visible: 64 (non-root), 256 or 4096 (default). */
  length?: number;
}

export function configBytes(spec: CfgSpec): Uint8Array {
  const b = new Uint8Array(4096);
  const w8 = (o: number, v: number) => { b[o] = v & 0xff; };
  const w16 = (o: number, v: number) => { w8(o, v); w8(o + 1, v >> 8); };
  const w32 = (o: number, v: number) => { w16(o, v & 0xffff); w16(o + 2, v >>> 16); };
  w16(0, spec.vendor);
  w16(2, spec.device);
  w32(8, ((spec.classCode << 8) | 1) >>> 0);
  w8(0x0e, spec.buses ? 1 : 0);
  if (spec.buses) {
    w8(0x18, spec.buses[0]);
    w8(0x19, spec.buses[1]);
    w8(0x1a, spec.buses[2]);
  }
  if (spec.express) {
    const e = spec.express;
    w16(0x06, 0x10); // capability list
    w8(0x34, 0x40);
    w8(0x40, 0x10);
    w8(0x41, 0);
    w16(0x42, 2 | (PORT_CODE[e.type] << 4));
    w32(0x44, SIZE_CODE[e.mpsSupported ?? 512]);
    w16(0x48, ((SIZE_CODE[e.mps ?? 256] << 5) | (SIZE_CODE[e.mrrs ?? 512] << 12) | (e.relaxedOrdering === false ? 0 : 0x10)) >>> 0);
    if (e.link) {
      w32(0x4c, SPEED_CODE[e.link.maxSpeed] | (e.link.maxWidth << 4));
      w16(0x52, SPEED_CODE[e.link.speed] | (e.link.width << 4));
    }
    // Extended capabilities chained from 0x100, 0x40 bytes apart, in this order: ACS, AER, ReBAR.
    const ext: { id: number; fill: (o: number) => void }[] = [];
    if (spec.acs) ext.push({ id: 0x0d, fill: (o) => { w16(o + 4, spec.acs!.cap); w16(o + 6, spec.acs!.ctl); } });
    if (spec.aer) {
      const a = spec.aer;
      ext.push({ id: 0x01, fill: (o) => {
        w32(o + 0x04, a.unc ?? 0); w32(o + 0x08, a.uncMask ?? 0); w32(o + 0x0c, a.sev ?? 0x00062030);
        w32(o + 0x10, a.corr ?? 0); w32(o + 0x14, a.corrMask ?? 0);
      } });
    }
    if (spec.rebar) {
      const r = spec.rebar;
      ext.push({ id: 0x15, fill: (o) => {
        let cap = 0;
        for (const sz of r.sizesLog2Mb) cap |= 1 << (sz + 4);
        w32(o + 4, cap >>> 0);
        w32(o + 8, (r.bar & 7) | (1 << 5) | ((r.currentLog2Mb & 0x3f) << 8));
      } });
    }
    ext.forEach((x, i) => {
      const at = 0x100 + 0x40 * i;
      const next = i + 1 < ext.length ? at + 0x40 : 0;
      w32(at, (x.id | (1 << 16) | (next << 20)) >>> 0);
      x.fill(at);
    });
  }
  return b.slice(0, spec.length ?? 4096);
}

// ---------------------------------------------------------------------------------------------
// sysfs/procfs roots

export interface RootDevice {
  bdf: string;
  /** Upstream bridge BDF (null: on the root bus of `hostBridge`). */
  parent: string | null;
  hostBridge?: string; // "pci0000:00"
  cfg: CfgSpec;
  driver?: string;
  numaNode?: number;
  iommuGroup?: string;
  /** sysfs link attributes (what a non-root capture still has). */
  sysfsLink?: { speed: number; width: number; maxSpeed: number; maxWidth: number };
  /** resource lines: [start, size, flags]. */
  bars?: [bigint, bigint, number][];
  p2pmem?: { size: number; available: number; published: 0 | 1 };
  aer?: { correctable?: Record<string, number>; nonfatal?: Record<string, number>; fatal?: Record<string, number> };
  /** Kernel class names: nvme0, eth0... */
  names?: { cls: 'nvme' | 'net' | 'infiniband' | 'drm'; name: string }[];
}

export interface RootSpec {
  devices: RootDevice[];
  cpu?: { vendor: string; family: number };
  kernelRelease?: string;
  cmdline?: string;
  /** Full kernel config text written to proc/config.gz; or to boot/config-RELEASE with `configAt: 'boot'`. */
  kernelConfig?: string;
  configAt?: 'proc' | 'boot';
  numaOnline?: string;
  iommu?: { units: string[]; groupTypes: Record<string, string> };
  modules?: string[];
  /** Create etc/ (and cufile.json when text is given). */
  etc?: { cufile?: string };
  ioUringDisabled?: number;
  dmesg?: string;
}

const created: string[] = [];
process.on('exit', () => {
  for (const d of created) fs.rmSync(d, { recursive: true, force: true });
});

/** A temp dir removed when the test process exits. */
export function tmpDir(prefix = 'p2p-doctor-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(d);
  return d;
}

function write(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
}

function hex(n: number, w: number): string {
  return '0x' + n.toString(16).padStart(w, '0');
}

/** Writes a filesystem root the sysfs reader and doctor-facts understand; returns its path. */
export function buildRoot(spec: RootSpec, dir = tmpDir()): string {
  const byBdf = new Map(spec.devices.map((d) => [d.bdf, d]));
  const devDir = (d: RootDevice): string => {
    const chain: string[] = [];
    let cur: RootDevice | undefined = d;
    while (cur) {
      chain.unshift(cur.bdf);
      cur = cur.parent ? byBdf.get(cur.parent) : undefined;
    }
    const top = byBdf.get(chain[0])!;
    const hb = top.hostBridge ?? `pci${top.bdf.slice(0, 4)}:${top.bdf.slice(5, 7)}`;
    return path.join(dir, 'sys/devices', hb, ...chain);
  };
  for (const d of spec.devices) {
    const dd = devDir(d);
    fs.mkdirSync(dd, { recursive: true });
    const c = d.cfg;
    write(path.join(dd, 'config'), configBytes(c));
    write(path.join(dd, 'vendor'), hex(c.vendor, 4) + '\n');
    write(path.join(dd, 'device'), hex(c.device, 4) + '\n');
    write(path.join(dd, 'class'), hex(c.classCode, 6) + '\n');
    write(path.join(dd, 'numa_node'), `${d.numaNode ?? -1}\n`);
    if (d.sysfsLink) {
      const sp = (g: number) => `${g} GT/s PCIe\n`;
      write(path.join(dd, 'current_link_speed'), sp(d.sysfsLink.speed));
      write(path.join(dd, 'current_link_width'), `${d.sysfsLink.width}\n`);
      write(path.join(dd, 'max_link_speed'), sp(d.sysfsLink.maxSpeed));
      write(path.join(dd, 'max_link_width'), `${d.sysfsLink.maxWidth}\n`);
    }
    const res: string[] = [];
    for (let i = 0; i < 13; i++) {
      const bar = d.bars?.[i];
      res.push(bar ? `0x${bar[0].toString(16).padStart(16, '0')} 0x${(bar[0] + bar[1] - 1n).toString(16).padStart(16, '0')} 0x${bar[2].toString(16).padStart(16, '0')}` : '0x0000000000000000 0x0000000000000000 0x0000000000000000');
    }
    write(path.join(dd, 'resource'), res.join('\n') + '\n');
    if (d.driver) {
      const drv = path.join(dir, 'sys/bus/pci/drivers', d.driver);
      fs.mkdirSync(drv, { recursive: true });
      fs.symlinkSync(path.relative(dd, drv), path.join(dd, 'driver'));
    }
    if (d.iommuGroup !== undefined) {
      const g = path.join(dir, 'sys/kernel/iommu_groups', d.iommuGroup);
      fs.mkdirSync(g, { recursive: true });
      fs.symlinkSync(path.relative(dd, g), path.join(dd, 'iommu_group'));
    }
    if (d.p2pmem) {
      write(path.join(dd, 'p2pmem/size'), `${d.p2pmem.size}\n`);
      write(path.join(dd, 'p2pmem/available'), `${d.p2pmem.available}\n`);
      write(path.join(dd, 'p2pmem/published'), `${d.p2pmem.published}\n`);
    }
    if (d.aer) {
      const file = (m: Record<string, number> | undefined, total: string) => {
        const e = m ?? {};
        return Object.entries(e).map(([k, v]) => `${k} ${v}`).join('\n') + `\n${total} ${Object.values(e).reduce((a, b) => a + b, 0)}\n`;
      };
      write(path.join(dd, 'aer_dev_correctable'), file(d.aer.correctable, 'TOTAL_ERR_COR'));
      write(path.join(dd, 'aer_dev_nonfatal'), file(d.aer.nonfatal, 'TOTAL_ERR_NONFATAL'));
      write(path.join(dd, 'aer_dev_fatal'), file(d.aer.fatal, 'TOTAL_ERR_FATAL'));
    }
    for (const n of d.names ?? []) {
      const cls = path.join(dir, 'sys/class', n.cls);
      const target = path.join(dd, n.cls, n.name);
      fs.mkdirSync(target, { recursive: true });
      fs.mkdirSync(cls, { recursive: true });
      fs.symlinkSync(path.relative(cls, target), path.join(cls, n.name));
    }
    const link = path.join(dir, 'sys/bus/pci/devices', d.bdf);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(link), dd), link);
  }
  const cpu = spec.cpu ?? { vendor: 'GenuineIntel', family: 6 };
  write(path.join(dir, 'proc/cpuinfo'), `processor\t: 0\nvendor_id\t: ${cpu.vendor}\ncpu family\t: ${cpu.family}\n`);
  const rel = spec.kernelRelease ?? '6.12.117';
  write(path.join(dir, 'proc/sys/kernel/osrelease'), rel + '\n');
  write(path.join(dir, 'proc/cmdline'), (spec.cmdline ?? 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet') + '\n');
  if (spec.kernelConfig !== undefined) {
    if (spec.configAt === 'boot') write(path.join(dir, 'boot', `config-${rel}`), spec.kernelConfig);
    else write(path.join(dir, 'proc/config.gz'), gzipSync(spec.kernelConfig));
  }
  write(path.join(dir, 'sys/devices/system/node/online'), (spec.numaOnline ?? '0') + '\n');
  fs.mkdirSync(path.join(dir, 'sys/class/iommu'), { recursive: true });
  for (const u of spec.iommu?.units ?? []) fs.mkdirSync(path.join(dir, 'sys/class/iommu', u), { recursive: true });
  for (const [g, t] of Object.entries(spec.iommu?.groupTypes ?? {})) write(path.join(dir, 'sys/kernel/iommu_groups', g, 'type'), t + '\n');
  if (spec.modules) write(path.join(dir, 'proc/modules'), spec.modules.map((m) => `${m} 16384 0 - Live 0x0000000000000000`).join('\n') + '\n');
  if (spec.etc) {
    fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
    if (spec.etc.cufile !== undefined) write(path.join(dir, 'etc/cufile.json'), spec.etc.cufile);
  }
  if (spec.ioUringDisabled !== undefined) write(path.join(dir, 'proc/sys/kernel/io_uring_disabled'), `${spec.ioUringDisabled}\n`);
  if (spec.dmesg !== undefined) write(path.join(dir, 'var/log/dmesg'), spec.dmesg);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// The lab's QEMU q35 fabric (docs/lab.md) as a root: host bridge 8086:29c0, pcie-root-ports
// 1b36:000c with ACS, an x3130 switch without ACS, QEMU NVMe 1b36:0010 (MRRS 128 as the guest showed it)
// with a 64 MiB CMB on 03:00.0.

export const ACS_QEMU_CAP = 0x1f; // SrcValid TransBlk ReqRedir CmpltRedir UpstreamFwd
export const ACS_IOMMU_CTL = 0x1d; // SrcValid ReqRedir CmpltRedir UpstreamFwd (what the kernel sets with an IOMMU)

export function labRootSpec(opts: { iommu?: boolean; cpu?: 'intel' | 'amd'; dmesg?: string } = {}): RootSpec {
  const iommu = opts.iommu ?? false;
  const acsCtl = iommu ? ACS_IOMMU_CTL : 0;
  const gen3x4 = { speed: 8, width: 4, maxSpeed: 8, maxWidth: 4 };
  const port = (bdf: string, parent: string | null, type: PortKind, vendor: number, device: number, buses: [number, number, number], acs: boolean, group: string): RootDevice => ({
    bdf, parent, driver: 'pcieport', iommuGroup: iommu ? group : undefined,
    cfg: { vendor, device, classCode: 0x060400, buses, express: { type, mps: 128, mpsSupported: 128, mrrs: 512, link: gen3x4 }, ...(acs ? { acs: { cap: ACS_QEMU_CAP, ctl: acsCtl } } : {}) },
  });
  const nvme = (bdf: string, parent: string, name: string, group: string, cmb: boolean): RootDevice => ({
    bdf, parent, driver: 'nvme', iommuGroup: iommu ? group : undefined, names: [{ cls: 'nvme', name }],
    cfg: { vendor: 0x1b36, device: 0x0010, classCode: 0x010802, express: { type: 'endpoint', mps: 128, mpsSupported: 128, mrrs: 128, link: gen3x4 } },
    bars: [[0xfe800000n, 0x4000n, 0x140204]],
    ...(cmb ? { p2pmem: { size: 67108864, available: 67108864, published: 1 as const } } : {}),
  });
  const devices: RootDevice[] = [
    { bdf: '0000:00:00.0', parent: null, iommuGroup: iommu ? '0' : undefined, cfg: { vendor: 0x8086, device: 0x29c0, classCode: 0x060000 } },
    port('0000:00:01.0', null, 'root-port', 0x1b36, 0x000c, [0, 1, 4], true, '1'),
    port('0000:01:00.0', '0000:00:01.0', 'upstream', 0x104c, 0x8232, [1, 2, 4], false, '1'),
    port('0000:02:00.0', '0000:01:00.0', 'downstream', 0x104c, 0x8233, [2, 3, 3], false, '1'),
    port('0000:02:01.0', '0000:01:00.0', 'downstream', 0x104c, 0x8233, [2, 4, 4], false, '1'),
    nvme('0000:03:00.0', '0000:02:00.0', 'nvme0', '1', true),
    nvme('0000:04:00.0', '0000:02:01.0', 'nvme1', '1', false),
    port('0000:00:02.0', null, 'root-port', 0x1b36, 0x000c, [0, 5, 5], true, '2'),
    nvme('0000:05:00.0', '0000:00:02.0', 'nvme2', '2', false),
  ];
  return {
    devices,
    cpu: opts.cpu === 'amd' ? { vendor: 'AuthenticAMD', family: 0x17 } : { vendor: 'GenuineIntel', family: 6 },
    kernelRelease: '6.12.117',
    cmdline: `console=ttyS0 root=hostroot rootfstype=9p ro${iommu ? ' intel_iommu=on' : ''}`,
    kernelConfig: 'CONFIG_PCI=y\nCONFIG_ZONE_DEVICE=y\nCONFIG_PCI_P2PDMA=y\nCONFIG_IO_URING=y\nCONFIG_INTEL_IOMMU=y\n',
    numaOnline: '0',
    iommu: iommu ? { units: ['dmar0'], groupTypes: { '0': 'DMA', '1': 'DMA', '2': 'DMA' } } : undefined,
    modules: [],
    etc: {},
    ioUringDisabled: 0,
    dmesg: opts.dmesg,
  };
}

// ---------------------------------------------------------------------------------------------
// DoctorInput for model tests

/** Every env fact unknown (as for an lspci dump), overridable. */
export function unknownEnv(over: Partial<EnvFacts> = {}): EnvFacts {
  const u = unknown('not in this fixture');
  return {
    live: false, modules: u, cufile: u, ioUringDisabled: u, ioUringProbe: u, dmesg: u, aerCounters: u, odirect: u, memMechanisms: u,
    ...over,
  };
}

export function input(fabric: Fabric, env: Partial<EnvFacts> = {}): DoctorInput {
  return { fabric, env: unknownEnv(env) };
}

export { known, unknown };

/** Sets Device fields a makeFabric() spec cannot (driver, mrrs, bars...). Returns the fabric. */
export function patch(fabric: Fabric, bdf: string, fields: Partial<Fabric['devices'][number]>): Fabric {
  const d = fabric.byBdf.get(bdf);
  if (!d) throw new Error(`patch: ${bdf} not in fixture`);
  Object.assign(d, fields);
  return fabric;
}

/** A fabric with one switch and two NVMe drives (lab spec 01-one-switch): every check ok or skip. */
export function oneSwitchRootSpec(): RootSpec {
  const spec = labRootSpec();
  spec.devices = spec.devices.filter((d) => !['0000:00:02.0', '0000:05:00.0'].includes(d.bdf));
  return spec;
}

/**
 * Lab specs 03-root-ports-intel / 04-root-ports-amd: two NVMe drives with 64 MiB CMBs, each under its
 * own root port of the q35 host bridge (00:01.0 -> 01:00.0, 00:02.0 -> 02:00.0), as the guest saw them.
 */
export function rootPortsRootSpec(cpu: 'intel' | 'amd' = 'intel'): RootSpec {
  const spec = labRootSpec({ cpu });
  const gen3x4 = { speed: 8, width: 4, maxSpeed: 8, maxWidth: 4 };
  const port = (bdf: string, bus: number): RootDevice => ({
    bdf, parent: null, driver: 'pcieport',
    cfg: { vendor: 0x1b36, device: 0x000c, classCode: 0x060400, buses: [0, bus, bus], express: { type: 'root-port', mps: 128, mpsSupported: 128, mrrs: 512, link: gen3x4 }, acs: { cap: ACS_QEMU_CAP, ctl: 0 } },
  });
  const nvme = (bdf: string, parent: string, name: string): RootDevice => ({
    bdf, parent, driver: 'nvme', names: [{ cls: 'nvme', name }],
    cfg: { vendor: 0x1b36, device: 0x0010, classCode: 0x010802, express: { type: 'endpoint', mps: 128, mpsSupported: 128, mrrs: 128, link: gen3x4 } },
    p2pmem: { size: 67108864, available: 67108864, published: 1 },
  });
  spec.devices = [
    spec.devices[0], // 00:00.0 host bridge 8086:29c0
    port('0000:00:01.0', 1), nvme('0000:01:00.0', '0000:00:01.0', 'nvme0'),
    port('0000:00:02.0', 2), nvme('0000:02:00.0', '0000:00:02.0', 'nvme1'),
  ];
  return spec;
}
