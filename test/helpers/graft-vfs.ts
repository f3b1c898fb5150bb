// Adds SR-IOV VFs to PFs of a sysfs tree (a copy of a real machine's, or a generated one) the way the
// kernel shows them: each VF a sibling directory of its PF with a `physfn` link, the PF's `virtfnN`
// links and sriov_* attributes, a config header whose Vendor and Device IDs read 0xffff (VFs do not
// implement them; sysfs `vendor`/`device` carry the IDs the kernel takes from the PF's SR-IOV capability).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface GraftOptions {
  /** VFs per PF. */
  count: number;
  /** First VF's routing-ID offset from the PF, and the stride (1 and 1 put the first VFs on the PF's own slot). */
  offset?: number;
  stride?: number;
  /** Device ID the VFs report in sysfs (default: the PF's). */
  vfDevice?: string;
}

const BDF = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/;
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

/** What a VF directory copies from its PF's attributes (the rest is the VF's own). */
const COPIED = ['class', 'numa_node', 'local_cpulist', 'local_cpus', 'subsystem_vendor', 'subsystem_device', 'current_link_speed', 'current_link_width', 'max_link_speed', 'max_link_width'];

/** Whether a path exists, a dangling link included (a tree may list a function it did not capture). */
function taken(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The BDFs the VFs of `pf` get; null when one of them is already a function of the tree. */
export function vfBdfs(root: string, pf: string, opts: GraftOptions): string[] | null {
  const m = BDF.exec(pf);
  if (!m) throw new Error(`bad BDF ${pf}`);
  const rid = (parseInt(m[2], 16) << 8) | (parseInt(m[3], 16) << 3) | parseInt(m[4], 16);
  const out: string[] = [];
  for (let k = 0; k < opts.count; k++) {
    const r = rid + (opts.offset ?? 8) + k * (opts.stride ?? 1);
    if (r > 0xffff) return null;
    const bdf = `${m[1]}:${hex(r >> 8, 2)}:${hex((r >> 3) & 0x1f, 2)}.${r & 7}`;
    if (taken(path.join(root, 'sys/bus/pci/devices', bdf))) return null;
    out.push(bdf);
  }
  return out;
}

/** Grafts VFs onto `pf` (a BDF in the tree under `root`); returns their BDFs, or null when their numbers are taken. */
export function graftVfs(root: string, pf: string, opts: GraftOptions): string[] | null {
  const bdfs = vfBdfs(root, pf, opts);
  if (!bdfs) return null;
  const devices = path.join(root, 'sys/bus/pci/devices');
  const pfDir = fs.realpathSync(path.join(devices, pf));
  if (bdfs.some((bdf) => taken(path.join(path.dirname(pfDir), bdf)))) return null;
  const read = (f: string) => { try { return fs.readFileSync(path.join(pfDir, f)); } catch { return null; } };
  const pfConfig = read('config') ?? Buffer.alloc(64);
  const vfConfig = Buffer.from(pfConfig);
  vfConfig.fill(0xff, 0, 4); // Vendor and Device ID: 0xffff on a VF
  if (vfConfig.length > 5) vfConfig[4] &= ~0x07; // I/O, memory space and bus master read 0 until the VF is used
  const vendor = read('vendor')?.toString().trim() ?? '0xffff';
  const vfDevice = opts.vfDevice ?? read('device')?.toString().trim() ?? '0xffff';
  bdfs.forEach((bdf, k) => {
    const dir = path.join(path.dirname(pfDir), bdf);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config'), vfConfig);
    fs.writeFileSync(path.join(dir, 'vendor'), `${vendor}\n`);
    fs.writeFileSync(path.join(dir, 'device'), `${vfDevice}\n`);
    for (const f of COPIED) {
      const v = read(f);
      if (v !== null) fs.writeFileSync(path.join(dir, f), v);
    }
    fs.symlinkSync(`../${pf}`, path.join(dir, 'physfn'));
    fs.symlinkSync(`../${bdf}`, path.join(pfDir, `virtfn${k}`));
    // Some captured trees keep the functions as directories in bus/pci/devices itself: no link then.
    if (path.dirname(dir) !== devices) fs.symlinkSync(path.relative(devices, dir), path.join(devices, bdf));
  });
  const attr = (f: string, v: string | number) => fs.writeFileSync(path.join(pfDir, f), `${v}\n`);
  attr('sriov_totalvfs', bdfs.length);
  attr('sriov_numvfs', bdfs.length);
  attr('sriov_offset', opts.offset ?? 8);
  attr('sriov_stride', opts.stride ?? 1);
  attr('sriov_vf_device', vfDevice.replace(/^0x/, ''));
  return bdfs;
}
