// Lab topology specs: the JSON format that describes one emulated PCIe fabric, and its validation.
// A spec is data only; test/lab/qemu-args.ts turns it into a QEMU command line. See docs/lab.md.

/** An NVMe drive. With `cmbMb` it has a controller memory buffer that the kernel publishes as p2pmem. */
export interface NvmeNode {
  kind: 'nvme';
  /** Unique in the spec; becomes the drive's serial number, so the guest can find it. [a-z0-9-], at most 20. */
  name: string;
  /** CMB size in MiB (QEMU `cmb_size_mb`); absent or 0: no CMB, the drive is a client only. */
  cmbMb?: number;
  /** Backing file size in MiB (default 8). */
  sizeMb?: number;
  /**
   * SR-IOV virtual functions the guest enables (QEMU `sriov_max_vfs`, 1-4), left without a driver.
   * QEMU allows no CMB with SR-IOV, and the drive's namespace then sits in an NVMe subsystem.
   */
  vfs?: number;
}

/** A PCIe root port (`pcie-root-port`): one link, so at most one child. */
export interface RootPortNode {
  kind: 'root-port';
  child?: SlotNode | null;
}

/** A PCIe switch (`x3130-upstream` + one `xio3130-downstream` per entry). null leaves a port empty. */
export interface SwitchNode {
  kind: 'switch';
  downstream: (SlotNode | null)[];
}

/** An extra host bridge (`pxb-pcie`) with its own root bus `busNr`; it holds root ports or endpoints. */
export interface HostBridgeNode {
  kind: 'host-bridge';
  busNr: number;
  children: (RootPortNode | NvmeNode)[];
}

/** What can sit below a root port or a switch downstream port. */
export type SlotNode = NvmeNode | SwitchNode;
/** What can sit on the root complex's own bus (pcie.0). */
export type TopNode = RootPortNode | HostBridgeNode | NvmeNode;
export type FabricNode = NvmeNode | RootPortNode | SwitchNode | HostBridgeNode;

/**
 * The kernel's answer for one pair, as the oracle sees it:
 * ok        O_DIRECT read into the provider's p2pmem succeeded and the bytes equal a host-memory read;
 * EREMOTEIO the kernel refused the peer-to-peer mapping (pci_p2pdma_map_type() said NOT_SUPPORTED);
 * mismatch  the read reported success but the bytes in p2pmem are not the drive's data.
 */
export type KernelOutcome = 'ok' | 'EREMOTEIO' | 'mismatch';
export const KERNEL_OUTCOMES: readonly KernelOutcome[] = ['ok', 'EREMOTEIO', 'mismatch'];

export interface PairExpectation {
  client: string;
  provider: string;
  kernel: KernelOutcome;
  /** Why, in one line (shown in test names and docs). */
  why?: string;
}

/** intel: an Intel CPU model (Nehalem); amd: `-cpu EPYC` (family 0x17); qemu64: QEMU's default (AMD family 0xf). */
export type CpuModel = 'intel' | 'amd' | 'qemu64';
export const CPU_MODELS: readonly CpuModel[] = ['intel', 'amd', 'qemu64'];

/** An emulated NVDIMM (`-M nvdimm=on`, `-device nvdimm`); the guest makes namespace0.0 in `mode` (ndctl). */
export interface NvdimmSpec {
  sizeMb: number;
  mode: 'devdax' | 'fsdax' | 'raw';
}
export const NVDIMM_MODES: readonly NvdimmSpec['mode'][] = ['devdax', 'fsdax', 'raw'];

/** A CXL type-3 memory device (persistent, with a label area) behind `pxb-cxl` and `cxl-rp`, with one fixed memory window. */
export interface CxlSpec {
  sizeMb: number;
  /** The pxb-cxl host bridge's root bus number (default 52). */
  busNr?: number;
}

/** Software RDMA devices the guest makes over a veth pair: rxe0 over veth0, siw0 over veth1. */
export type RdmaProvider = 'rxe' | 'siw';
export const RDMA_PROVIDERS: readonly RdmaProvider[] = ['rxe', 'siw'];

/** Device-memory mechanisms the guest sets up beside the PCIe fabric (docs/lab.md, docs/devmem.md). */
export interface DevmemSpecFields {
  nvdimm?: NvdimmSpec;
  cxl?: CxlSpec;
  rdma?: RdmaProvider[];
  /** The guest holds one 1 MiB udmabuf (memfd pages as a dma-buf) open while p2p runs. */
  udmabuf?: boolean;
}

export interface LabSpec extends DevmemSpecFields {
  name: string;
  description: string;
  cpu: CpuModel;
  iommu: boolean;
  kernelArgs: string[];
  memoryMb: number;
  /** Bytes per oracle read (a multiple of 4096). */
  readBytes: number;
  /** Upper bound for the whole guest run; QEMU is killed after it. */
  timeoutSec: number;
  fabric: TopNode[];
  expect: PairExpectation[];
  /** `p2p doctor` check id -> the status it must report here (e.g. "iommu.translation": "warn"). */
  expectDoctor?: Record<string, DoctorStatus>;
}

export type DoctorStatus = 'ok' | 'warn' | 'fail' | 'skip';
const DOCTOR_STATUSES: readonly string[] = ['ok', 'warn', 'fail', 'skip'];

export const SPEC_DEFAULTS = { cpu: 'intel' as CpuModel, iommu: false, memoryMb: 1024, readBytes: 1 << 20, timeoutSec: 360, sizeMb: 8 };

export class SpecError extends Error {
  constructor(readonly problems: string[], source?: string) {
    super(`${source ? `${source}: ` : ''}invalid lab spec:\n  ${problems.join('\n  ')}`);
    this.name = 'SpecError';
  }
}

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,19}$/;
const SPEC_NAME_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const TOP_KEYS = ['name', 'description', 'cpu', 'iommu', 'kernelArgs', 'memoryMb', 'readBytes', 'timeoutSec', 'fabric', 'expect', 'expectDoctor', 'nvdimm', 'cxl', 'rdma', 'udmabuf', '$comment'];

/** The device-memory fields, checked; problems pushed onto `p` with their paths. */
function validateDevmem(input: Record<string, unknown>, p: string[]): DevmemSpecFields {
  const out: DevmemSpecFields = {};
  const size = (at: string, v: unknown): number | null => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 16 || v > 4096 || v % 16 !== 0) {
      p.push(`${at}: must be a multiple of 16 from 16 to 4096 (MiB), got ${describe(v)}`);
      return null;
    }
    return v;
  };
  if (input.nvdimm !== undefined) {
    const n = input.nvdimm;
    if (!isObject(n)) p.push(`nvdimm: must be an object {"sizeMb": N, "mode": "devdax"}, got ${describe(n)}`);
    else {
      const s = size('nvdimm.sizeMb', n.sizeMb);
      const mode = n.mode ?? 'devdax';
      if (typeof mode !== 'string' || !(NVDIMM_MODES as readonly string[]).includes(mode)) p.push(`nvdimm.mode: one of ${NVDIMM_MODES.join(', ')}, got ${describe(mode)}`);
      else if (s !== null) out.nvdimm = { sizeMb: s, mode: mode as NvdimmSpec['mode'] };
    }
  }
  if (input.cxl !== undefined) {
    const c = input.cxl;
    if (!isObject(c)) p.push(`cxl: must be an object {"sizeMb": N}, got ${describe(c)}`);
    else {
      const s = size('cxl.sizeMb', c.sizeMb);
      const bus = c.busNr ?? 52;
      if (typeof bus !== 'number' || !Number.isInteger(bus) || bus < 1 || bus > 254) p.push(`cxl.busNr: an integer from 1 to 254, got ${describe(bus)}`);
      else if (s !== null) out.cxl = { sizeMb: s, busNr: bus };
    }
  }
  if (input.rdma !== undefined) {
    const r = input.rdma;
    if (!Array.isArray(r) || r.length === 0 || r.some((x) => !(RDMA_PROVIDERS as readonly unknown[]).includes(x)) || new Set(r).size !== r.length) {
      p.push(`rdma: a list of distinct providers from ${RDMA_PROVIDERS.join(', ')}, got ${JSON.stringify(r)}`);
    } else out.rdma = r as RdmaProvider[];
  }
  if (input.udmabuf !== undefined) {
    if (typeof input.udmabuf !== 'boolean') p.push(`udmabuf: must be true or false, got ${describe(input.udmabuf)}`);
    else if (input.udmabuf) out.udmabuf = true;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `"${v}"` : typeof v;
}

/** Check a parsed JSON value and return a complete spec (defaults filled in), or throw SpecError listing every problem. */
export function validateSpec(input: unknown, source?: string): LabSpec {
  const p: string[] = [];
  if (!isObject(input)) throw new SpecError([`the spec must be a JSON object, got ${describe(input)}`], source);

  for (const k of Object.keys(input)) if (!TOP_KEYS.includes(k)) p.push(`unknown field "${k}" (known: ${TOP_KEYS.filter((x) => x !== '$comment').join(', ')})`);

  const name = input.name;
  if (typeof name !== 'string' || !SPEC_NAME_RE.test(name)) p.push(`name: must be a string of [a-z0-9-] (at most 64), got ${describe(name)}`);
  const description = input.description;
  if (typeof description !== 'string' || description.trim() === '') p.push('description: must be a non-empty string');

  const cpu = input.cpu ?? SPEC_DEFAULTS.cpu;
  if (!CPU_MODELS.includes(cpu as CpuModel)) p.push(`cpu: must be one of ${CPU_MODELS.join(', ')}, got ${describe(cpu)}`);
  const iommu = input.iommu ?? SPEC_DEFAULTS.iommu;
  if (typeof iommu !== 'boolean') p.push(`iommu: must be true or false, got ${describe(iommu)}`);

  const kernelArgs = input.kernelArgs ?? [];
  if (!Array.isArray(kernelArgs) || !kernelArgs.every((a) => typeof a === 'string' && /^[^\s"]+$/.test(a))) {
    p.push('kernelArgs: must be an array of strings without blanks or quotes, e.g. ["pci=realloc"]');
  } else if (kernelArgs.some((a: string) => a === '--' || a.startsWith('init=') || a.startsWith('root='))) {
    p.push('kernelArgs: "--", init= and root= belong to the lab runner');
  }

  const int = (field: string, v: unknown, min: number, max: number, def: number): number => {
    const x = v ?? def;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
      p.push(`${field}: must be an integer from ${min} to ${max}, got ${describe(v)}`);
      return def;
    }
    return x;
  };
  const memoryMb = int('memoryMb', input.memoryMb, 256, 8192, SPEC_DEFAULTS.memoryMb);
  const readBytes = int('readBytes', input.readBytes, 4096, 64 << 20, SPEC_DEFAULTS.readBytes);
  if (readBytes % 4096 !== 0) p.push(`readBytes: must be a multiple of 4096, got ${readBytes}`);
  const timeoutSec = int('timeoutSec', input.timeoutSec, 20, 1800, SPEC_DEFAULTS.timeoutSec);

  let doctor: Record<string, DoctorStatus> | undefined;
  if (input.expectDoctor !== undefined) {
    const ed = input.expectDoctor;
    if (typeof ed !== 'object' || ed === null || Array.isArray(ed) || Object.keys(ed).length === 0) {
      p.push('expectDoctor: must be an object of check id -> status (ok, warn, fail, skip)');
    } else {
      doctor = {};
      for (const [id, st] of Object.entries(ed as Record<string, unknown>)) {
        if (typeof st !== 'string' || !DOCTOR_STATUSES.includes(st)) p.push(`expectDoctor.${id}: must be one of ok, warn, fail, skip`);
        else doctor[id] = st as DoctorStatus;
      }
    }
  }

  // The fabric tree.
  const drives = new Map<string, NvmeNode>();
  const busNrs: { busNr: number; at: string; buses: number }[] = [];
  let rootComplexBuses = 0;
  const fabric: TopNode[] = [];

  const nvme = (v: Record<string, unknown>, at: string): NvmeNode | null => {
    for (const k of Object.keys(v)) if (!['kind', 'name', 'cmbMb', 'sizeMb', 'vfs'].includes(k)) p.push(`${at}: unknown field "${k}" for nvme (known: name, cmbMb, sizeMb, vfs)`);
    if (typeof v.name !== 'string' || !NAME_RE.test(v.name)) {
      p.push(`${at}.name: must be 1-20 characters of [a-z0-9-] starting with a letter or digit, got ${describe(v.name)}`);
      return null;
    }
    if (drives.has(v.name)) p.push(`${at}.name: drive "${v.name}" is defined twice`);
    const node: NvmeNode = { kind: 'nvme', name: v.name };
    const cmb = int(`${at}.cmbMb`, v.cmbMb, 0, 1024, 0);
    if (cmb > 0) node.cmbMb = cmb;
    node.sizeMb = int(`${at}.sizeMb`, v.sizeMb, 1, 4096, SPEC_DEFAULTS.sizeMb);
    const vfs = int(`${at}.vfs`, v.vfs, 0, 4, 0);
    if (vfs > 0) {
      node.vfs = vfs;
      if (cmb > 0) p.push(`${at}: vfs and cmbMb cannot go together (QEMU's NVMe has no CMB with SR-IOV)`);
    }
    drives.set(v.name, node);
    return node;
  };

  /** Returns the node and how many bus numbers its subtree takes (for pxb bus_nr spacing). */
  const slot = (v: unknown, at: string, depth: number): { node: SlotNode | null; buses: number } => {
    if (v === null) return { node: null, buses: 0 };
    if (!isObject(v)) {
      p.push(`${at}: must be an object or null, got ${describe(v)}`);
      return { node: null, buses: 0 };
    }
    if (v.kind === 'nvme') return { node: nvme(v, at), buses: 0 };
    if (v.kind === 'switch') {
      for (const k of Object.keys(v)) if (!['kind', 'downstream'].includes(k)) p.push(`${at}: unknown field "${k}" for switch (known: downstream)`);
      if (depth > 6) p.push(`${at}: switches nested deeper than 6 levels`);
      if (!Array.isArray(v.downstream) || v.downstream.length < 1 || v.downstream.length > 8) {
        p.push(`${at}.downstream: must be an array of 1 to 8 ports (each an nvme, a switch, or null for an empty port)`);
        return { node: null, buses: 0 };
      }
      let buses = 1; // the internal bus between upstream and downstream ports
      const downstream = v.downstream.map((d, i) => {
        const r = slot(d, `${at}.downstream[${i}]`, depth + 1);
        buses += 1 + r.buses;
        return r.node;
      });
      return { node: { kind: 'switch', downstream }, buses };
    }
    if (v.kind === 'root-port' || v.kind === 'host-bridge') p.push(`${at}: a ${v.kind} cannot sit below a port; only nvme or switch (or null) can`);
    else p.push(`${at}.kind: unknown kind ${describe(v.kind)} (expected nvme or switch here)`);
    return { node: null, buses: 0 };
  };

  const rootPort = (v: Record<string, unknown>, at: string): { node: RootPortNode; buses: number } => {
    for (const k of Object.keys(v)) if (!['kind', 'child'].includes(k)) p.push(`${at}: unknown field "${k}" for root-port (known: child)`);
    const r = slot(v.child ?? null, `${at}.child`, 0);
    return { node: { kind: 'root-port', child: r.node }, buses: 1 + r.buses };
  };

  if (!Array.isArray(input.fabric) || input.fabric.length === 0) {
    p.push('fabric: must be a non-empty array of root-port, host-bridge or nvme nodes (what sits on the root complex)');
  } else {
    input.fabric.forEach((v: unknown, i: number) => {
      const at = `fabric[${i}]`;
      if (!isObject(v)) return void p.push(`${at}: must be an object, got ${describe(v)}`);
      if (v.kind === 'root-port') {
        const r = rootPort(v, at);
        rootComplexBuses += r.buses;
        fabric.push(r.node);
      } else if (v.kind === 'nvme') {
        const n = nvme(v, at);
        if (n) fabric.push(n);
      } else if (v.kind === 'host-bridge') {
        for (const k of Object.keys(v)) if (!['kind', 'busNr', 'children'].includes(k)) p.push(`${at}: unknown field "${k}" for host-bridge (known: busNr, children)`);
        const busNr = int(`${at}.busNr`, v.busNr, 1, 254, 0);
        const children: (RootPortNode | NvmeNode)[] = [];
        let buses = 0;
        if (!Array.isArray(v.children) || v.children.length === 0) p.push(`${at}.children: must be a non-empty array of root-port or nvme nodes`);
        else v.children.forEach((c: unknown, j: number) => {
          const cat = `${at}.children[${j}]`;
          if (isObject(c) && c.kind === 'root-port') {
            const r = rootPort(c, cat);
            buses += r.buses;
            children.push(r.node);
          } else if (isObject(c) && c.kind === 'nvme') {
            const n = nvme(c, cat);
            if (n) children.push(n);
          } else p.push(`${cat}: a host bridge holds root-port or nvme nodes, got ${isObject(c) ? `kind ${describe(c.kind)}` : describe(c)}`);
        });
        busNrs.push({ busNr, at, buses });
        fabric.push({ kind: 'host-bridge', busNr, children });
      } else if (v.kind === 'switch') {
        p.push(`${at}: a switch must sit below a root port (put it in a root-port's "child")`);
      } else {
        p.push(`${at}.kind: unknown kind ${describe(v.kind)} (expected root-port, host-bridge or nvme)`);
      }
    });
  }

  // Extra host bridges take bus numbers from busNr upwards; they must not collide with the
  // buses the firmware numbers below the main root complex, nor with each other.
  busNrs.sort((a, b) => a.busNr - b.busNr);
  busNrs.forEach((b, i) => {
    if (b.busNr <= rootComplexBuses) p.push(`${b.at}.busNr: ${b.busNr} collides with the ${rootComplexBuses} bus numbers the main root complex needs; use at least ${rootComplexBuses + 1}`);
    const next = busNrs[i + 1];
    if (next && b.busNr + b.buses >= next.busNr) p.push(`${next.at}.busNr: ${next.busNr} collides with ${b.at} (bus ${b.busNr} plus ${b.buses} below it)`);
    if (b.busNr + b.buses > 255) p.push(`${b.at}.busNr: ${b.busNr} leaves too few bus numbers for the ${b.buses} below it`);
  });

  if (drives.size === 0 && p.length === 0) p.push('fabric: has no nvme drive, so there is nothing to test');
  const providers = [...drives.values()].filter((d) => (d.cmbMb ?? 0) > 0);
  for (const d of providers) {
    if ((d.cmbMb ?? 0) * 1048576 < readBytes) p.push(`drive "${d.name}": cmbMb ${d.cmbMb} is smaller than readBytes ${readBytes}`);
  }
  for (const d of drives.values()) {
    if ((d.sizeMb ?? SPEC_DEFAULTS.sizeMb) * 1048576 < readBytes) p.push(`drive "${d.name}": sizeMb ${d.sizeMb} is smaller than readBytes ${readBytes}`);
  }

  // Expectations: exactly one for every (client drive, provider drive) pair.
  const expect: PairExpectation[] = [];
  if (!Array.isArray(input.expect)) {
    p.push('expect: must be an array of {client, provider, kernel} entries, one per (drive, drive with CMB) pair');
  } else {
    const seen = new Set<string>();
    input.expect.forEach((e: unknown, i: number) => {
      const at = `expect[${i}]`;
      if (!isObject(e)) return void p.push(`${at}: must be an object`);
      for (const k of Object.keys(e)) if (!['client', 'provider', 'kernel', 'why'].includes(k)) p.push(`${at}: unknown field "${k}" (known: client, provider, kernel, why)`);
      const { client, provider, kernel, why } = e;
      let ok = true;
      if (typeof client !== 'string' || !drives.has(client)) { p.push(`${at}.client: ${describe(client)} is not a drive in the fabric`); ok = false; }
      if (typeof provider !== 'string' || !drives.has(provider)) { p.push(`${at}.provider: ${describe(provider)} is not a drive in the fabric`); ok = false; }
      else if (!((drives.get(provider)!.cmbMb ?? 0) > 0)) { p.push(`${at}.provider: drive "${provider}" has no CMB (cmbMb), so it is not a p2pmem provider`); ok = false; }
      if (!KERNEL_OUTCOMES.includes(kernel as KernelOutcome)) { p.push(`${at}.kernel: must be one of ${KERNEL_OUTCOMES.join(', ')}, got ${describe(kernel)}`); ok = false; }
      if (why !== undefined && typeof why !== 'string') { p.push(`${at}.why: must be a string`); ok = false; }
      if (!ok) return;
      const key = `${client}->${provider}`;
      if (seen.has(key)) return void p.push(`${at}: pair ${key} is listed twice`);
      seen.add(key);
      expect.push({ client: client as string, provider: provider as string, kernel: kernel as KernelOutcome, ...(why ? { why: why as string } : {}) });
    });
    for (const c of drives.keys()) for (const pr of providers) {
      if (!seen.has(`${c}->${pr.name}`)) p.push(`expect: no entry for pair ${c}->${pr.name} (every drive against every drive with a CMB, itself included)`);
    }
  }

  const devmem = validateDevmem(input, p);
  if (devmem.cxl && fabric.some((n) => n.kind === 'host-bridge' && Math.abs(n.busNr - devmem.cxl!.busNr!) < 2)) {
    p.push(`cxl.busNr: ${devmem.cxl.busNr} collides with a host bridge's bus numbers in the fabric`);
  }
  if (p.length) throw new SpecError(p, source);
  return {
    name: name as string,
    description: description as string,
    cpu: cpu as CpuModel,
    iommu: iommu as boolean,
    kernelArgs: kernelArgs as string[],
    memoryMb,
    readBytes,
    timeoutSec,
    fabric,
    expect,
    ...(doctor ? { expectDoctor: doctor } : {}),
    ...devmem,
  };
}

/** Parse JSON text and validate it; JSON syntax errors become SpecError too. */
export function parseSpec(text: string, source?: string): LabSpec {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SpecError([`not valid JSON: ${(e as Error).message}`], source);
  }
  return validateSpec(v, source);
}

/** Every NVMe drive in tree order. */
export function drivesOf(spec: Pick<LabSpec, 'fabric'>): NvmeNode[] {
  const out: NvmeNode[] = [];
  const walk = (n: FabricNode | null | undefined): void => {
    if (!n) return;
    if (n.kind === 'nvme') out.push(n);
    else if (n.kind === 'root-port') walk(n.child);
    else if (n.kind === 'switch') n.downstream.forEach(walk);
    else n.children.forEach(walk);
  };
  spec.fabric.forEach(walk);
  return out;
}

/** Drives with a CMB (the p2pmem providers). */
export function providersOf(spec: Pick<LabSpec, 'fabric'>): NvmeNode[] {
  return drivesOf(spec).filter((d) => (d.cmbMb ?? 0) > 0);
}
