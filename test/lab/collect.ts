// Turn the raw files the guest left in the results share (test/lab/guest/init.sh) into one result object.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelOutcome } from './spec.js';

export interface OracleIo {
  ret: number;
  errno: number;
  errnoName: string;
  strerror: string;
  stage: string | null;
}

/** One (client drive, p2pmem provider) pair as the kernel answered it. */
export interface OraclePair {
  client: string | null; // drive name (spec), null when the guest showed a drive we did not define
  clientBdf: string;
  provider: string | null;
  providerBdf: string;
  device: string;
  /** ok / EREMOTEIO / mismatch as in the spec; "error" for anything else (see detail). */
  outcome: KernelOutcome | 'error';
  detail: string;
  p2pRead: OracleIo | null;
  hostRead: OracleIo | null;
  match: boolean;
  firstMismatch: number | null;
  /** The host-memory read returned the bytes the host wrote into the backing file. */
  hostDataVerified: boolean | null;
  p2pFnv: string | null;
  hostFnv: string | null;
  dmesg: string[];
  exitCode: number | null;
}

export interface CommandRun {
  args: string;
  /** Exit status; null when the command is absent (no bin/p2p.js) or never ran. */
  exitCode: number | null;
  /** 124: killed by the guest's timeout. */
  timedOut: boolean;
  absent: boolean;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON. */
  json: unknown;
  /** Seconds the command took inside the guest (TCG), when it ran. */
  seconds: number | null;
}

export interface GuestDrive {
  controller: string;
  serial: string;
  bdf: string;
  block: string | null;
  p2pmem: { size: number; available: number; published: boolean } | null;
}

export interface GuestFacts {
  /** Last stage init.sh reached: started, oracle, p2p, done; null if init never ran. */
  stage: string | null;
  kernelRelease: string | null;
  cmdline: string | null;
  cpuVendor: string | null;
  cpuFamily: number | null;
  cpuModelName: string | null;
  uptimeStart: number | null;
  uptimeEnd: number | null;
  drives: GuestDrive[];
  providers: string[];
  oracle: OraclePair[];
  lspciTv: string | null;
  lspciT: string | null;
  /** `lspci -nD`: every function's class and vendor:device as the kernel's sysfs gives them. */
  lspciN: string | null;
  /** SR-IOV enabling, one line per PF: "bdf total ok|failed". */
  sriov: string | null;
  lspciVvv: string | null;
  commands: Record<string, CommandRun>;
  dmesg: string | null;
  /** What the kernel itself showed of the device-memory mechanisms (init.sh's devmem-* files). */
  devmem: GuestDevmem;
}

/** The kernel's own answers, read in the guest without p2p: the oracle for every devmem detection. */
export interface GuestDevmem {
  /** names under /dev (dax0.0, video1, hmm_dmirror0, udmabuf...). */
  dev: string[];
  dmaHeaps: string[];
  /** names under /sys/bus/cxl/devices. */
  cxl: string[];
  /** "CLASS_ENTRY REALPATH" lines for video4linux, infiniband and cxl entries. */
  paths: string[];
  /** `daxctl list` JSON. */
  daxctl: unknown;
  /** `rdma link` text. */
  rdmaLink: string | null;
  bufinfo: string | null;
  iomem: string | null;
  ndctl: string | null;
  udmabuf: string | null;
}

const read = (dir: string, f: string): string | null => {
  const p = join(dir, f);
  return existsSync(p) ? readFileSync(p, 'utf8') : null;
};

function parseJson(text: string | null): unknown {
  if (text === null || text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Kernel log lines that say something about peer-to-peer DMA, the IOMMU or NVMe. */
export function interestingDmesg(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /p2p|peer-to-peer|DMAR|iommu|nvme|EREMOTEIO|fault/i.test(l))
    .map((l) => l.trimEnd());
}

/** Sort the oracle's JSON line into the spec's outcome words. */
export function classifyOracle(o: {
  length: number;
  p2pRead: OracleIo;
  hostRead: OracleIo;
  match: boolean;
  firstMismatch: number;
}): { outcome: KernelOutcome | 'error'; detail: string } {
  const { p2pRead: p, hostRead: h } = o;
  if (h.ret !== o.length) return { outcome: 'error', detail: `host-memory read failed (${h.stage ?? ''} ${h.errnoName} ${h.strerror})` };
  if (p.errnoName === 'EREMOTEIO') return { outcome: 'EREMOTEIO', detail: `p2p read: ${p.strerror}` };
  if (p.ret === o.length && o.match) return { outcome: 'ok', detail: `read ${p.ret} bytes, data matches the host-memory read` };
  if (p.ret === o.length) return { outcome: 'mismatch', detail: `read reported ${p.ret} bytes but the data differs from offset ${o.firstMismatch}` };
  return { outcome: 'error', detail: `p2p read failed at ${p.stage ?? '?'}: ${p.errnoName} (${p.errno}) ${p.strerror}` };
}

/** Read everything init.sh wrote. Drive serials are the spec's drive names; fnvByName holds each backing file's fingerprint. */
export function collectGuest(dir: string, fnvByName: ReadonlyMap<string, string> = new Map()): GuestFacts {
  const stage = read(dir, 'stage')?.trim() || null;
  const cpuinfo = read(dir, 'cpuinfo.txt') ?? '';
  const field = (k: string): string | null => cpuinfo.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim() ?? null;
  const num = (f: string): number | null => {
    const t = read(dir, f);
    const n = t === null ? NaN : Number.parseFloat(t);
    return Number.isFinite(n) ? n : null;
  };

  const providersRaw = (read(dir, 'providers.txt') ?? '').split('\n').filter(Boolean).map((l) => l.split(/\s+/));
  const p2pmemOf = new Map(providersRaw.map(([bdf, size, avail, pub]) => [bdf, { size: Number(size), available: Number(avail), published: pub === '1' }]));
  const drives: GuestDrive[] = (read(dir, 'drives.txt') ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [controller = '', serial = '', bdf = '', block = '-'] = l.split(/\s+/);
      return { controller, serial, bdf, block: block === '-' ? null : block, p2pmem: p2pmemOf.get(bdf) ?? null };
    });
  const nameOfBdf = new Map(drives.map((d) => [d.bdf, d.serial]));

  const oracle: OraclePair[] = [];
  const pairFiles = existsSync(dir) ? readdirSync(dir).filter((f) => /^oracle-\d+\.pair$/.test(f)) : [];
  pairFiles.sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  for (const f of pairFiles) {
    const i = f.match(/\d+/)![0];
    const [clientBdf = '', providerBdf = '', device = ''] = (read(dir, f) ?? '').trim().split(/\s+/);
    const rcText = read(dir, `oracle-${i}.rc`);
    const exitCode = rcText === null ? null : Number(rcText.trim());
    const line = (read(dir, `oracle-${i}.json`) ?? '').trim().split('\n')[0] ?? '';
    const j = parseJson(line) as null | {
      length: number; p2pRead: OracleIo; hostRead: OracleIo; match: boolean; firstMismatch: number; p2pFnv?: string; hostFnv?: string;
    };
    const client = nameOfBdf.get(clientBdf) ?? null;
    const provider = nameOfBdf.get(providerBdf) ?? null;
    const dmesg = interestingDmesg(read(dir, `oracle-${i}.dmesg`) ?? '');
    if (!j) {
      const err = (read(dir, `oracle-${i}.err`) ?? '').trim();
      oracle.push({
        client, clientBdf, provider, providerBdf, device, outcome: 'error',
        detail: exitCode === 124 ? 'oracle timed out in the guest (30 s)' : `oracle printed no result (exit ${exitCode}): ${err}`,
        p2pRead: null, hostRead: null, match: false, firstMismatch: null, hostDataVerified: null, p2pFnv: null, hostFnv: null, dmesg, exitCode,
      });
      continue;
    }
    const c = classifyOracle(j);
    const expectedFnv = client ? fnvByName.get(client) : undefined;
    const hostDataVerified = expectedFnv && j.hostFnv ? expectedFnv === j.hostFnv : null;
    let { outcome, detail } = c;
    if (hostDataVerified === false) {
      outcome = 'error';
      detail = `the host-memory read did not return the backing file's bytes (fnv ${j.hostFnv}, expected ${expectedFnv})`;
    }
    oracle.push({
      client, clientBdf, provider, providerBdf, device, outcome, detail,
      p2pRead: j.p2pRead, hostRead: j.hostRead, match: j.match, firstMismatch: j.firstMismatch >= 0 ? j.firstMismatch : null,
      hostDataVerified, p2pFnv: j.p2pFnv ?? null, hostFnv: j.hostFnv ?? null, dmesg, exitCode,
    });
  }

  const commands: Record<string, CommandRun> = {};
  const rcFiles = existsSync(dir) ? readdirSync(dir).filter((f) => /^p2p-.+\.rc$/.test(f)) : [];
  for (const f of rcFiles) {
    const name = f.slice(4, -3);
    const rc = (read(dir, f) ?? '').trim();
    const stdout = read(dir, `p2p-${name}.out`) ?? '';
    const absent = rc === 'absent';
    const [t0, t1] = (read(dir, `p2p-${name}.time`) ?? '').trim().split(/\s+/).map(Number);
    const exitCode = absent || rc === '' ? null : Number(rc);
    commands[name] = {
      args: (read(dir, `p2p-${name}.args`) ?? '').trim(),
      exitCode,
      timedOut: exitCode === 124,
      absent,
      stdout,
      stderr: read(dir, `p2p-${name}.err`) ?? '',
      json: parseJson(stdout),
      seconds: t0 !== undefined && t1 !== undefined && Number.isFinite(t0) && Number.isFinite(t1) ? Math.round((t1 - t0) * 10) / 10 : null,
    };
  }

  return {
    stage,
    kernelRelease: read(dir, 'uname.txt')?.trim() ?? null,
    cmdline: read(dir, 'cmdline.txt')?.trim() ?? null,
    cpuVendor: field('vendor_id'),
    cpuFamily: field('cpu family') === null ? null : Number(field('cpu family')),
    cpuModelName: field('model name'),
    uptimeStart: num('uptime-start.txt'),
    uptimeEnd: num('uptime-end.txt'),
    drives,
    providers: providersRaw.map((r) => r[0]!),
    oracle,
    lspciTv: read(dir, 'lspci-tv.txt'),
    lspciT: read(dir, 'lspci-t.txt'),
    lspciN: read(dir, 'lspci-n.txt'),
    sriov: read(dir, 'sriov.txt'),
    lspciVvv: read(dir, 'lspci-vvv.txt'),
    commands,
    dmesg: read(dir, 'dmesg.txt'),
    devmem: collectDevmem(dir),
  };
}

function collectDevmem(dir: string): GuestDevmem {
  const lines = (f: string): string[] => (read(dir, f) ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return {
    dev: lines('devmem-dev.txt'),
    dmaHeaps: lines('devmem-dma-heap.txt'),
    cxl: lines('devmem-cxl.txt'),
    paths: lines('devmem-paths.txt'),
    daxctl: parseJson(read(dir, 'devmem-daxctl.json')),
    rdmaLink: read(dir, 'devmem-rdma.txt'),
    bufinfo: read(dir, 'devmem-bufinfo.txt'),
    iomem: read(dir, 'devmem-iomem.txt'),
    ndctl: read(dir, 'devmem-ndctl.txt'),
    udmabuf: read(dir, 'devmem-udmabuf.txt'),
  };
}
