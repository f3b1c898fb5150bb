// Small sysfs trees full of the odd cases the sysfs reader has to survive: dangling and plain-directory
// device entries, short and missing config, SR-IOV VFs, p2pmem dirs with missing or unreadable files,
// attributes that are directories or dangling links, and (for a non-root reader) permission holes; and
// a scrambler that scatters such cases over a large generated fabric.
import * as fs from 'node:fs';
import * as path from 'node:path';

function put(root: string, rel: string, data: string | Uint8Array): void {
  const f = path.join(root, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, data);
}

function link(root: string, rel: string, target: string): void {
  const f = path.join(root, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.symlinkSync(target, f);
}

function mkdir(root: string, rel: string): void {
  fs.mkdirSync(path.join(root, rel), { recursive: true });
}

/** Config bytes of the given size with vendor/device/class filled in (when they fit). */
function cfg(size: number, vendor: number, device: number, cls: number): Uint8Array {
  const b = new Uint8Array(size);
  const full = new Uint8Array(Math.max(size, 64));
  full[0] = vendor & 0xff; full[1] = vendor >> 8;
  full[2] = device & 0xff; full[3] = device >> 8;
  full[8] = 0x01; full[9] = cls & 0xff; full[10] = (cls >> 8) & 0xff; full[11] = cls >> 16;
  for (let i = 0x40; i < full.length; i++) full[i] = i & 0xff; // something to tell the bytes apart
  b.set(full.subarray(0, size));
  return b;
}

const DEV = 'sys/devices/pci0000:00';
const BUS = 'sys/bus/pci/devices';

/** A device directory under sys/devices with the usual attributes, listed in bus/pci/devices. */
function device(root: string, rel: string, opts: { config?: Uint8Array; attrs?: Record<string, string>; listed?: boolean } = {}): string {
  const dir = `sys/devices/${rel}`;
  mkdir(root, dir);
  if (opts.config) put(root, `${dir}/config`, opts.config);
  for (const [k, v] of Object.entries(opts.attrs ?? {})) put(root, `${dir}/${k}`, v);
  if (opts.listed !== false) {
    const bdf = path.basename(rel);
    link(root, `${BUS}/${bdf}`, `../../../devices/${rel}`);
  }
  return dir;
}

const LINK_ATTRS = { current_link_speed: '8.0 GT/s PCIe\n', current_link_width: '4\n', max_link_speed: '16.0 GT/s PCIe\n', max_link_width: '8\n' };
const COMMON = { numa_node: '0\n', local_cpulist: '0-3\n', resource: '0x00000000fe000000 0x00000000fe003fff 0x0000000000040200\n0x0000000000000000 0x0000000000000000 0x0000000000000000\n' };

function hostFiles(root: string): void {
  put(root, 'proc/cpuinfo', 'processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n');
  put(root, 'proc/cmdline', 'root=/dev/sda1 iommu=pt\n');
  put(root, 'proc/sys/kernel/osrelease', '6.9.0-edge\n');
  put(root, 'sys/devices/system/node/online', '0\n');
  mkdir(root, 'sys/class/iommu/ivhd0');
  put(root, 'sys/kernel/iommu_groups/0/type', 'DMA\n');
  put(root, 'sys/kernel/iommu_groups/1/type', 'identity\n');
  mkdir(root, 'sys/kernel/iommu_groups/2/devices'); // no type file (old kernel)
  put(root, 'sys/kernel/iommu_groups/3/type', ''); // empty: ignored
  mkdir(root, 'sys/kernel/iommu_groups/4/type'); // a directory: unreadable
  put(root, 'sys/kernel/iommu_groups/10/type', '  DMA-FQ \n');
  link(root, 'sys/kernel/iommu_groups/11/type', '../nowhere');
}

/** Every odd case a root reader can see; returns the filesystem root. */
export function buildEdgeTree(root: string): string {
  fs.rmSync(root, { recursive: true, force: true });
  hostFiles(root);
  mkdir(root, BUS);
  mkdir(root, 'sys/bus/pci/drivers/nvme');
  mkdir(root, 'sys/bus/pci/drivers/pcieport');

  // Host bridge: full config, iommu group link, a resource file with junk lines in between.
  const hb = device(root, 'pci0000:00/0000:00:00.0', {
    config: cfg(4096, 0x1022, 0x1480, 0x060000),
    attrs: { ...COMMON, resource: '0x0000000000001000 0x0000000000001fff 0x0000000000040101\nnot a line\n\n0x10 0x20\n' },
  });
  link(root, `${hb}/iommu_group`, '../../../kernel/iommu_groups/0');

  // Root port with exactly 256 bytes of config: link registers readable, sysfs link attributes unused.
  const rp = device(root, 'pci0000:00/0000:00:01.0', { config: cfg(256, 0x1022, 0x1483, 0x060400), attrs: { ...COMMON, ...LINK_ATTRS } });
  link(root, `${rp}/driver`, '../../../bus/pci/drivers/pcieport');
  link(root, `${rp}/iommu_group`, '../../../kernel/iommu_groups/1');

  // 64 bytes of config (what non-root sees): link attributes from sysfs; a full p2pmem dir; class names.
  const ep = device(root, 'pci0000:00/0000:00:01.0/0000:01:00.0', { config: cfg(64, 0x144d, 0xa808, 0x010802), attrs: { ...COMMON, ...LINK_ATTRS, vendor: '0x144d\n' } });
  link(root, `${ep}/driver`, '../../../../bus/pci/drivers/nvme/');
  link(root, `${ep}/iommu_group`, '/sys/kernel/iommu_groups/10');
  put(root, `${ep}/p2pmem/size`, '1048576\n');
  put(root, `${ep}/p2pmem/available`, '524288\n');
  put(root, `${ep}/p2pmem/published`, '1\n');
  mkdir(root, `${ep}/nvme/nvme0/nvme0n1/nvme0n1p1`);
  mkdir(root, `${ep}/net/eth0`);
  link(root, 'sys/class/nvme/nvme0', '/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/nvme/nvme0');
  link(root, 'sys/class/block/nvme0n1', '../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/nvme/nvme0/nvme0n1');
  link(root, 'sys/class/block/nvme0n1p1', '../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/nvme/nvme0/nvme0n1/nvme0n1p1');
  link(root, 'sys/class/block/sda', '../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/host0/sda');
  link(root, 'sys/class/block/sda1', '../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/host0/sda/sda1');
  link(root, 'sys/class/block/loop0', '../../devices/virtual/block/loop0');
  link(root, 'sys/class/block/dm-0', '../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/dm-0');
  link(root, 'sys/class/net/eth0', '../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/net/eth0');
  link(root, 'sys/class/net/lo', '../../devices/virtual/net/lo');
  link(root, 'sys/class/net/gone0', '../../devices/pci0000:00/0000:00:01.0/0000:01:00.7/net/gone0'); // dangling, still named
  mkdir(root, 'sys/class/net/plain0'); // not a link
  link(root, 'sys/class/drm/card0', '../../devices/pci0000:00/0000:00:01.0/0000:01:00.2/drm/card0');
  link(root, 'sys/class/drm/renderD128', '../../devices/pci0000:00/0000:00:01.0/0000:01:00.2/drm/renderD128');
  link(root, 'sys/class/drm/card1', '../../devices/pci0000:00/0000:00:01.0/0000:01:00.2/drm/card1');

  // SR-IOV VF: full config reading 0xffff for its IDs, which its PF (64 bytes here) cannot give, so
  // sysfs must; p2pmem with an unreadable size and no published.
  const vf = device(root, 'pci0000:00/0000:00:01.0/0000:01:00.1', {
    config: cfg(4096, 0xffff, 0xffff, 0x010802),
    attrs: { ...COMMON, vendor: '0x144D\n', device: '0xa80a\n', class: '0x10802\n', subsystem_vendor: '0x144d\n', subsystem_device: 'a801\n', revision: '0x00\n' },
  });
  link(root, `${vf}/physfn`, '../0000:01:00.0');
  link(root, `${vf}/driver`, '../../../../bus/pci/drivers/nvme');
  mkdir(root, `${vf}/p2pmem/size`);
  put(root, `${vf}/p2pmem/available`, '0\n');

  // Unreadable attributes: numa_node is a directory, local_cpulist dangles, resource is junk,
  // driver is a plain file, p2pmem an empty directory.
  const odd = device(root, 'pci0000:00/0000:00:01.0/0000:01:00.2', { config: cfg(4096, 0x10de, 0x2330, 0x030200), attrs: { resource: 'garbage\n' } });
  mkdir(root, `${odd}/numa_node`);
  link(root, `${odd}/local_cpulist`, 'nowhere');
  put(root, `${odd}/driver`, 'nvidia\n');
  mkdir(root, `${odd}/p2pmem`);
  link(root, `${odd}/iommu_group`, '../../../kernel/iommu_groups/11');

  // No config file: every ID from sysfs, some of them malformed; p2pmem is a plain file.
  const nocfg = device(root, 'pci0000:00/0000:00:01.0/0000:01:00.3', {
    attrs: { vendor: 'abcd\n', device: '0xZZ\n', class: '0x0c0330\n', current_link_speed: 'Unknown\n', current_link_width: 'x4\n', max_link_width: '-1\n', numa_node: '-1\n', p2pmem: '1\n' },
  });
  void nocfg;

  // config is a directory: the open works and the read fails. p2pmem is a dangling link.
  const cfgdir = device(root, 'pci0000:00/0000:00:01.0/0000:01:00.4', { attrs: { ...COMMON } });
  mkdir(root, `${cfgdir}/config`);
  link(root, `${cfgdir}/p2pmem`, 'gone');

  // config is a dangling link: a warning. p2pmem links to a real directory elsewhere.
  const cfglink = device(root, 'pci0000:00/0000:00:01.0/0000:01:00.5', { attrs: { ...COMMON } });
  link(root, `${cfglink}/config`, 'nowhere');
  put(root, `${cfglink}/p2pmem-real/size`, '4096\n');
  link(root, `${cfglink}/p2pmem`, 'p2pmem-real');

  // Empty config (0 bytes) and a 100-byte one; a physfn that is not a BDF.
  device(root, 'pci0000:00/0000:00:01.0/0000:01:00.6', { config: new Uint8Array(0), attrs: { ...COMMON, ...LINK_ATTRS, vendor: '0x8086\n' } });
  const short = device(root, 'pci0000:00/0000:00:01.0/0000:01:00.7', { config: cfg(100, 0x8086, 0x1572, 0x020000), attrs: { ...LINK_ATTRS } });
  link(root, `${short}/physfn`, '../something-else');

  // Dangling bus/pci/devices link.
  link(root, `${BUS}/0000:00:02.0`, '../../../devices/pci0000:00/0000:00:02.0');
  // A plain directory instead of a link (some captures): read in place, no parent known.
  put(root, `${BUS}/0000:00:03.0/config`, cfg(64, 0x8086, 0x1234, 0x088000));
  put(root, `${BUS}/0000:00:03.0/numa_node`, '1\n');
  put(root, `${BUS}/0000:00:03.0/current_link_speed`, '2.5 GT/s PCIe\n');
  // A regular file where a device should be.
  put(root, `${BUS}/0000:00:04.0`, 'not a device\n');
  // An absolute link (captured trees keep them): resolved under the root.
  device(root, 'pci0000:00/0000:00:06.0', { config: cfg(4096, 0x8086, 0x0001, 0x058000), attrs: { numa_node: '0\n' }, listed: false });
  link(root, `${BUS}/0000:00:06.0`, `/${DEV}/0000:00:06.0`);
  // Names that are not BDFs are ignored.
  put(root, `${BUS}/README`, 'x\n');

  // A bridge present in sys/devices but missing from bus/pci/devices, with a listed child below it.
  device(root, 'pci0000:00/0000:00:1f.0', { config: cfg(4096, 0x8086, 0x1f00, 0x060400), attrs: { numa_node: '0\n' }, listed: false });
  device(root, 'pci0000:00/0000:00:1f.0/0000:02:00.0', { config: cfg(4096, 0x8086, 0x0200, 0x020000), attrs: { ...COMMON } });
  // ...and one whose directory has neither config nor class: not picked up.
  device(root, 'pci0000:00/0000:00:1e.0/0000:03:00.0', { config: cfg(4096, 0x8086, 0x0300, 0x020000) });
  return root;
}

/**
 * Permission holes that only matter to a non-root reader (the caller chowns nothing: everything stays
 * root-owned and world-readable except what is listed here). Returns the filesystem root.
 */
export function buildPermTree(root: string): string {
  fs.rmSync(root, { recursive: true, force: true });
  hostFiles(root);
  mkdir(root, BUS);
  const ok = device(root, 'pci0000:00/0000:00:00.0', { config: cfg(4096, 0x1022, 0x1480, 0x060000), attrs: { ...COMMON, ...LINK_ATTRS } });
  link(root, `${ok}/iommu_group`, '../../../kernel/iommu_groups/0');
  // Not listable (no read bit): skipped with a warning, as a failed readdir always did.
  const noread = device(root, 'pci0000:00/0000:00:01.0', { config: cfg(4096, 0x1022, 0x1483, 0x060400), attrs: { ...COMMON } });
  // Listable but not searchable (no x bit): every open fails, names are still visible.
  const nosearch = device(root, 'pci0000:00/0000:00:02.0', { config: cfg(4096, 0x1022, 0x1484, 0x060400), attrs: { ...COMMON } });
  put(root, `${nosearch}/p2pmem/size`, '4096\n');
  // config readable by root only: a warning; an attribute readable by root only: null.
  const secret = device(root, 'pci0000:00/0000:00:03.0', { config: cfg(4096, 0x1022, 0x1485, 0x060400), attrs: { ...COMMON, ...LINK_ATTRS } });
  // A p2pmem dir the reader cannot enter: present, every field null.
  put(root, `${secret}/p2pmem/size`, '4096\n');
  put(root, `${secret}/p2pmem/published`, '0\n');
  const nosearch2 = device(root, 'pci0000:00/0000:00:04.0', { config: cfg(4096, 0x1022, 0x1486, 0x060400), attrs: { ...COMMON } });
  fs.chmodSync(path.join(root, `${secret}/config`), 0o600);
  fs.chmodSync(path.join(root, `${secret}/numa_node`), 0o600);
  fs.chmodSync(path.join(root, `${secret}/p2pmem`), 0o700);
  fs.chmodSync(path.join(root, noread), 0o311);
  fs.chmodSync(path.join(root, nosearch), 0o644);
  fs.chmodSync(path.join(root, nosearch2), 0o644);
  // An iommu group whose directory cannot be entered, a class dir that cannot be listed or entered.
  put(root, 'sys/kernel/iommu_groups/5/type', 'DMA\n');
  fs.chmodSync(path.join(root, 'sys/kernel/iommu_groups/5'), 0o700);
  mkdir(root, `${ok}/net/eth0`);
  link(root, 'sys/class/net/eth0', '../../devices/pci0000:00/0000:00:00.0/net/eth0');
  fs.chmodSync(path.join(root, 'sys/class/net'), 0o644);
  mkdir(root, `${ok}/drm/card0`);
  link(root, 'sys/class/drm/card0', '../../devices/pci0000:00/0000:00:00.0/drm/card0');
  fs.chmodSync(path.join(root, 'sys/class/drm'), 0o700);
  return root;
}

/** Roots that make the reader give up: no sys/bus/pci/devices, and an empty one. */
export function buildEmptyTrees(base: string): { missing: string; empty: string } {
  const missing = path.join(base, 'missing');
  const empty = path.join(base, 'empty');
  fs.rmSync(base, { recursive: true, force: true });
  mkdir(missing, 'sys/devices');
  mkdir(empty, BUS);
  link(empty, `${BUS}/0000:00:00.0`, '../../../devices/pci0000:00/0000:00:00.0');
  return { missing, empty };
}

/**
 * Turns a generated fabric (bench/gen-fabric.ts) into a mix of every per-function case the reader
 * handles differently: config of each telling size, missing, dangling, a directory or root-only; VFs
 * reading 0xffff; p2pmem entries of every shape; missing link and ID attributes; and directories a
 * non-root reader may not list or enter. Neighbours differ at random (seeded), so no case is only ever
 * met in runs. Returns the filesystem root.
 */
export function scrambleFabric(root: string, seed: number): string {
  let state = seed >>> 0;
  const rand = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const bus = path.join(root, BUS);
  for (const bdf of fs.readdirSync(bus).sort()) {
    const dir = fs.realpathSync(path.join(bus, bdf));
    const config = path.join(dir, 'config');
    const size = [4096, 4096, 4096, 256, 255, 100, 64, 64, 63, 1, 0][rand(11)];
    fs.truncateSync(config, size);
    if (size >= 2 && rand(4) === 0) {
      const fd = fs.openSync(config, 'r+');
      fs.writeSync(fd, Buffer.from([0xff, 0xff]), 0, 2, 0);
      fs.closeSync(fd);
    }
    switch (rand(14)) {
      case 0: fs.rmSync(config); break;
      case 1: fs.rmSync(config); fs.symlinkSync('nowhere', config); break;
      case 2: fs.rmSync(config); fs.mkdirSync(config); break;
      case 3: fs.chmodSync(config, 0o600); break;
    }
    switch (rand(9)) {
      case 0: put(dir, 'p2pmem/size', '65536\n'); put(dir, 'p2pmem/available', '4096\n'); put(dir, 'p2pmem/published', `${rand(2)}\n`); break;
      case 1: mkdir(dir, 'p2pmem'); break;
      case 2: put(dir, 'p2pmem/size', '4096\n'); fs.chmodSync(path.join(dir, 'p2pmem'), 0o700); break;
      case 3: fs.symlinkSync('gone', path.join(dir, 'p2pmem')); break;
    }
    for (const name of ['current_link_speed', 'max_link_width', 'vendor', 'class', 'subsystem_device', 'numa_node']) {
      if (rand(6) === 0) fs.rmSync(path.join(dir, name), { force: true });
    }
    if (rand(5) === 0) put(dir, 'revision', `0x0${rand(10)}\n`);
    const mode = rand(30);
    if (mode === 0) fs.chmodSync(dir, 0o311); // a non-root reader cannot list it
    else if (mode === 1) fs.chmodSync(dir, 0o644); // ...or cannot enter it
  }
  return root;
}
