// Link checks: trained speed/width, MPS along peer paths, MRRS, relaxed ordering, AER errors.
import { AER_CORRECTABLE_BITS, AER_EXT_CAP_ID, AER_UNCORRECTABLE_BITS, decodeAer, type AerInfo } from '../caps/aer.js';
import { findCapability } from '../caps/walk.js';
import { upstreamChain } from '../p2p/walk.js';
import type { Device, Fabric } from '../types.js';
import type { AerCounters, CheckDef, Status } from './types.js';
import { capped, deviceLabel, physicalLinks, uniq, whyRegisterUnknown, worst } from './util.js';
import { formatLink } from '../link-math.js';


function minKnown(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

export interface LinkDowngrade {
  port: string;
  dev: string;
  speed: number | null;
  width: number | null;
  /** What the device itself can do. */
  devMaxSpeed: number | null;
  devMaxWidth: number | null;
  /** What both ends can do (min of the two capabilities). */
  linkMaxSpeed: number | null;
  linkMaxWidth: number | null;
  /** Below what both ends support (training or signal problem), not only slot-limited. */
  belowBoth: { speed: boolean; width: boolean };
  slotLimited: { speed: boolean; width: boolean };
}

/** Every physical link whose current state is below what the device or both ends can do. */
export function linkDowngrades(fabric: Fabric): LinkDowngrade[] {
  const out: LinkDowngrade[] = [];
  for (const { port, dev } of physicalLinks(fabric)) {
    const l = dev.link ?? port.link;
    if (!l) continue;
    const speed = l.speed ?? port.link?.speed ?? null;
    const width = l.width ?? port.link?.width ?? null;
    if (speed === null && width === null) continue;
    if (width === 0) continue; // link down (empty slot)
    const devMaxSpeed = dev.link?.maxSpeed ?? null;
    const devMaxWidth = dev.link?.maxWidth ?? null;
    const linkMaxSpeed = minKnown(devMaxSpeed, port.link?.maxSpeed ?? null);
    const linkMaxWidth = minKnown(devMaxWidth, port.link?.maxWidth ?? null);
    const belowBoth = {
      speed: speed !== null && linkMaxSpeed !== null && speed < linkMaxSpeed,
      width: width !== null && linkMaxWidth !== null && width < linkMaxWidth,
    };
    const slotLimited = {
      speed: !belowBoth.speed && speed !== null && devMaxSpeed !== null && speed < devMaxSpeed,
      width: !belowBoth.width && width !== null && devMaxWidth !== null && width < devMaxWidth,
    };
    if (belowBoth.speed || belowBoth.width || slotLimited.speed || slotLimited.width) {
      out.push({ port: port.bdf, dev: dev.bdf, speed, width, devMaxSpeed, devMaxWidth, linkMaxSpeed, linkMaxWidth, belowBoth, slotLimited });
    }
  }
  return out;
}

export const linkSpeedCheck: CheckDef = {
  id: 'link.speed',
  group: 'link',
  title: 'Link speed and width',
  describe: 'Links trained below what both ends support (fail: bad slot, riser or signal; GPUs that only dropped speed warn, they slow links down when idle) or below what the device supports because the slot is narrower or slower (warn).',
  run({ fabric }) {
    const links = physicalLinks(fabric).filter(({ dev, port }) => (dev.link ?? port.link) !== null);
    if (links.length === 0) {
      return { status: 'skip', evidence: ['no link state known for any device (no current_link_speed in sysfs, config space past 64 bytes unreadable)'], devices: [] };
    }
    const downs = linkDowngrades(fabric);
    if (downs.length === 0) return { status: 'ok', evidence: [`${links.length} link(s) checked: all at the speed and width both ends support`], devices: [] };
    const evidence: string[] = [];
    const statuses: Status[] = [];
    let idleGpu = false;
    for (const x of downs) {
      const dev = fabric.byBdf.get(x.dev)!;
      const cur = formatLink(x.speed, x.width);
      let st: Status;
      let why: string;
      if (x.belowBoth.width) {
        st = 'fail';
        why = `trained at ${cur}, both ends support x${x.linkMaxWidth}: lanes failed to train (seating, riser, damaged slot)`;
      } else if (x.belowBoth.speed) {
        if (dev.kind === 'gpu') {
          st = 'warn';
          idleGpu = true;
          why = `runs at ${cur}, both ends support ${formatLink(x.linkMaxSpeed, x.linkMaxWidth)}: GPUs drop link speed when idle, re-check under load`;
        } else {
          st = 'fail';
          why = `trained at ${cur}, both ends support ${formatLink(x.linkMaxSpeed, x.linkMaxWidth)}: the link fell back to a lower speed (signal integrity, riser, retimer, BIOS speed limit)`;
        }
      } else {
        st = 'warn';
        why = `runs at ${cur}; the device can do ${formatLink(x.devMaxSpeed, x.devMaxWidth)} but its port ${x.port} only ${formatLink(x.linkMaxSpeed, x.linkMaxWidth)}: the slot limits it`;
      }
      statuses.push(st);
      evidence.push(`${deviceLabel(dev)}: ${why}`);
    }
    const fix = [
      'reseat the card or move it to a slot wired for its full width/speed (the motherboard manual lists lanes per slot; risers and bifurcation settings matter)',
      'check BIOS PCIe link speed settings (a slot forced to Gen3 or "Auto" falling back)',
    ];
    if (idleGpu) fix.push('for GPUs: run a load (e.g. p2p bench or nvidia-smi -q -d PCIE during work) and look again; an idle GPU at 2.5 GT/s is normal');
    return { status: worst(statuses), evidence: capped(evidence, 16), fix, devices: uniq(downs.map((d) => d.dev)) };
  },
};

export const mpsCheck: CheckDef = {
  id: 'link.mps',
  group: 'link',
  title: 'Max Payload Size along paths',
  describe: 'MPS larger on a device than on the port above it (fail: malformed TLPs), and peers on a shared path with different MPS (warn: a peer write bigger than the receiver\'s MPS is malformed; pci=pcie_bus_peer2peer).',
  run({ fabric }, ctx) {
    const links = physicalLinks(fabric);
    const evidence: string[] = [];
    const devices: string[] = [];
    const statuses: Status[] = [];
    let knownLinks = 0;
    for (const { port, dev } of links) {
      if (port.mps === null || dev.mps === null) continue;
      knownLinks++;
      if (dev.mps > port.mps) {
        statuses.push('fail');
        evidence.push(`${deviceLabel(dev)} MPS ${dev.mps} > ${port.bdf} MPS ${port.mps}: TLPs it sends are malformed for the port`);
        devices.push(dev.bdf, port.bdf);
      }
    }
    let knownPairs = 0;
    const pairLines: string[] = [];
    for (const p of ctx.pairs()) {
      if (p.verdict.mapType === 'NOT_SUPPORTED' || !p.verdict.commonUpstream || p.client === p.provider) continue;
      const c = fabric.byBdf.get(p.client)!;
      const v = fabric.byBdf.get(p.provider)!;
      const onPath = pathDevices(fabric, c, v, p.verdict.commonUpstream);
      const mps = onPath.map((d) => d.mps);
      if (mps.some((m) => m === null)) continue;
      knownPairs++;
      const set = uniq(mps as number[]);
      if (set.length > 1) {
        pairLines.push(`${ctx.label(p.client)} ↔ ${ctx.label(p.provider)}: MPS along the path ${onPath.map((d) => `${d.bdf}=${d.mps}`).join(', ')}`);
        devices.push(c.bdf, v.bdf);
      }
    }
    if (pairLines.length) {
      statuses.push('warn');
      evidence.push(...capped(pairLines, 8));
      evidence.push('a peer writing with a payload larger than the receiver\'s MPS sends malformed TLPs (the receiver drops them, AER reports MalfTLP); the kernel\'s default MPS tuning only matches each device to its parent');
    }
    if (knownLinks === 0 && knownPairs === 0) {
      if (links.length === 0) return { status: 'skip', evidence: ['no PCIe link below a root or switch port in this fabric'], devices: [] };
      return { status: 'skip', evidence: [whyRegisterUnknown(uniq(links.flatMap((l) => [l.port, l.dev])), 'MPS')], devices: [] };
    }
    if (statuses.length === 0) {
      return { status: 'ok', evidence: [`${knownLinks} link(s) and ${knownPairs} peer path(s) with known MPS: consistent`], devices: [] };
    }
    return {
      status: worst(statuses),
      evidence,
      fix: [
        'boot with pci=pcie_bus_peer2peer to set every MPS to 128 bytes (safe for any peer pair, lowers link efficiency), or pci=pcie_bus_safe to use the largest MPS every device supports',
        'trade-off: smaller MPS means more TLP headers per byte: a few percent of link bandwidth at 128 bytes',
      ],
      devices: uniq(devices),
    };
  },
};

/** client ... common ... provider: every function a peer TLP passes through. */
function pathDevices(fabric: Fabric, a: Device, b: Device, common: string): Device[] {
  const up = (d: Device) => {
    const chain = upstreamChain(fabric, d);
    const i = chain.findIndex((x) => x.bdf === common);
    return i < 0 ? chain : chain.slice(0, i + 1);
  };
  const ca = up(a);
  const cb = up(b).filter((d) => d.bdf !== common);
  return [...ca, ...cb.reverse()];
}

const P2P_KINDS = new Set(['gpu', 'nvme', 'nic', 'accelerator']);

export const mrrsCheck: CheckDef = {
  id: 'link.mrrs',
  group: 'link',
  title: 'Max Read Request Size',
  describe: 'GPUs, NVMe, NICs and accelerators with MRRS below 512 bytes: DMA reads (a NIC sending GPU memory, NVMe writes from p2pmem) are split into small requests.',
  run(_input, ctx) {
    const devs = ctx.candidates().filter((d) => P2P_KINDS.has(d.kind));
    if (devs.length === 0) return { status: 'skip', evidence: ['no GPU, NVMe, NIC or accelerator'], devices: [] };
    const knownDevs = devs.filter((d) => d.mrrs !== null);
    if (knownDevs.length === 0) return { status: 'skip', evidence: [whyRegisterUnknown(devs, 'MRRS')], devices: [] };
    const small = knownDevs.filter((d) => d.mrrs! < 512);
    const unknownNote = knownDevs.length < devs.length ? [`MRRS unknown for ${devs.length - knownDevs.length} device(s) (needs root)`] : [];
    if (small.length === 0) {
      return { status: 'ok', evidence: [`${knownDevs.length} device(s): MRRS ${uniq(knownDevs.map((d) => d.mrrs)).join('/')} bytes`, ...unknownNote], devices: [] };
    }
    return {
      status: 'warn',
      evidence: [...small.map((d) => `${deviceLabel(d)}: MRRS ${d.mrrs} bytes (MPS ${d.mps ?? '?'})`), ...unknownNote],
      fix: [
        'raise MRRS: a BIOS "Max Read Request Size" option, or pci=pcie_bus_perf (MRRS follows MPS), or per device: setpci -s BDF CAP_EXP+08.w=5000:7000 (4096 bytes; resets on reboot)',
        'trade-off: large read requests from one device can delay others\' reads on a shared link',
      ],
      devices: small.map((d) => d.bdf),
    };
  },
};

export const relaxedOrderingCheck: CheckDef = {
  id: 'link.relaxed-ordering',
  group: 'link',
  title: 'Relaxed ordering',
  describe: 'Relaxed Ordering disabled (Device Control) on NICs and GPUs that have P2P partners: RDMA writes into GPU memory are strictly ordered and slower on many platforms.',
  run(_input, ctx) {
    const devs = ctx.candidates().filter((d) => d.kind === 'nic' || d.kind === 'gpu');
    if (devs.length === 0 || ctx.candidates().length < 2) return { status: 'skip', evidence: ['no NIC or GPU with a P2P partner'], devices: [] };
    const knownDevs = devs.filter((d) => d.relaxedOrdering !== null);
    if (knownDevs.length === 0) return { status: 'skip', evidence: [whyRegisterUnknown(devs, 'relaxed ordering')], devices: [] };
    const off = knownDevs.filter((d) => d.relaxedOrdering === false);
    if (off.length === 0) return { status: 'ok', evidence: [`relaxed ordering enabled on ${knownDevs.length} NIC/GPU(s)`], devices: [] };
    return {
      status: 'warn',
      evidence: [
        ...off.map((d) => `${deviceLabel(d)}: RlxdOrd- (relaxed ordering disabled in Device Control)`),
        'the kernel clears it below root ports with known ordering bugs; elsewhere firmware or the driver decides',
      ],
      fix: [
        'ConnectX: mlxconfig -d BDF set PCI_WR_ORDERING=1 (per-mkey relaxed ordering) and use a driver that requests it; or setpci -s BDF CAP_EXP+08.w=0010:0010',
        'trade-off: only safe where the root complex orders correctly; the kernel disables it where it does not',
      ],
      devices: off.map((d) => d.bdf),
    };
  },
};

/** Error names whose bits are set in `raw`, per the lspci spelling table. */
function bitNames(raw: number, table: readonly (readonly [number, string])[]): string[] {
  return table.filter(([b]) => ((raw >>> b) & 1) === 1).map(([, n]) => n);
}

/** Uncorrectable/correctable error bits set (and not masked) in a function's AER registers. */
export function aerStatusBits(info: AerInfo): { correctable: string[]; nonfatal: string[]; fatal: string[] } {
  const corrRaw = (info.correctableStatus.raw ?? 0) & ~(info.correctableMask.raw ?? 0);
  const uncRaw = (info.uncorrectableStatus.raw ?? 0) & ~(info.uncorrectableMask.raw ?? 0);
  const sev = info.uncorrectableSeverity.raw ?? 0;
  return {
    correctable: bitNames(corrRaw, AER_CORRECTABLE_BITS),
    fatal: bitNames(uncRaw & sev, AER_UNCORRECTABLE_BITS),
    nonfatal: bitNames(uncRaw & ~sev, AER_UNCORRECTABLE_BITS),
  };
}

/** The decoded AER capability of a device, or null when it has none or it could not be read. */
export function aerOf(d: Device): AerInfo | null {
  const cap = findCapability(d.capabilities, AER_EXT_CAP_ID, true);
  if (!cap) return null;
  const isRoot = d.portType === 'root-port' || d.portType === 'rc-event-collector';
  const info = decodeAer(d.config, cap.offset, isRoot);
  if (info.correctableStatus.raw === null && info.uncorrectableStatus.raw === null) return null;
  return info;
}

function nonZero(m: Record<string, number> | null): string[] {
  return m ? Object.entries(m).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`) : [];
}

export const aerCheck: CheckDef = {
  id: 'link.aer',
  group: 'link',
  title: 'PCIe errors (AER)',
  describe: 'Non-zero AER counters (sysfs aer_dev_correctable / aer_dev_nonfatal / aer_dev_fatal: non-fatal or fatal fail, correctable warn) and unmasked error bits in AER status registers (fatal fail, non-fatal and correctable warn: sticky bits may date from enumeration).',
  run({ fabric, env }) {
    const counters = env.aerCounters.known ? env.aerCounters.value : new Map<string, AerCounters>();
    const evidence: string[] = [];
    const statuses: Status[] = [];
    const devices: string[] = [];
    let looked = 0;
    for (const d of fabric.devices) {
      const c = counters.get(d.bdf);
      const info = aerOf(d);
      if (!c && !info) continue;
      looked++;
      const parts: string[] = [];
      let st: Status = 'ok';
      if (c) {
        const fatal = c.totals.fatal ?? 0;
        const nonfatal = c.totals.nonfatal ?? 0;
        const corr = c.totals.correctable ?? 0;
        if (fatal > 0) { st = 'fail'; parts.push(`fatal ${fatal} (${nonZero(c.fatal).join(', ')})`); }
        if (nonfatal > 0) { st = 'fail'; parts.push(`non-fatal ${nonfatal} (${nonZero(c.nonfatal).join(', ')})`); }
        if (corr > 0) { if (st === 'ok') st = 'warn'; parts.push(`correctable ${corr} (${nonZero(c.correctable).join(', ')})`); }
      }
      if (info) {
        const bits = aerStatusBits(info);
        if (bits.fatal.length) { st = 'fail'; parts.push(`status register: fatal ${bits.fatal.join(' ')}`); }
        // Sticky since boot and often left by enumeration (UnsupReq from probing): a warning, unlike the kernel's counters.
        if (bits.nonfatal.length) { if (st !== 'fail') st = 'warn'; parts.push(`status register: non-fatal ${bits.nonfatal.join(' ')}`); }
        if (bits.correctable.length) { if (st === 'ok') st = 'warn'; parts.push(`status register: correctable ${bits.correctable.join(' ')}`); }
      }
      if (st !== 'ok') {
        statuses.push(st);
        devices.push(d.bdf);
        evidence.push(`${deviceLabel(d)}: ${parts.join('; ')}`);
      }
    }
    if (looked === 0) {
      const partial = fabric.devices.some((d) => d.configBytes < 4096 && !d.capabilities.complete);
      return {
        status: 'skip',
        evidence: [`no AER information: ${env.aerCounters.known ? 'no function has aer_dev_* counters in sysfs' : env.aerCounters.reason}, and ${partial ? 'no AER capability could be read from config space (extended config space needs root)' : 'no function has an AER capability'}`],
        devices: [],
      };
    }
    if (statuses.length === 0) return { status: 'ok', evidence: [`${looked} function(s) with AER information: no errors recorded`], devices: [] };
    return {
      status: worst(statuses),
      evidence: capped(evidence, 16),
      fix: [
        'correctable errors (RxErr, BadTLP, BadDLLP, Rollover, Timeout) are link retries: reseat, check risers/cables, compare with other slots; they cost bandwidth before anything fails',
        'non-fatal/fatal errors (CmpltTO, MalfTLP, ACSViol, UnsupReq...) lose transactions: MalfTLP with P2P points at MPS (link.mps), ACSViol at ACS (acs.redirect)',
        'counters are since boot; status bits stay until cleared (setpci or reboot): note the values and re-run after a workload',
      ],
      devices: uniq(devices),
    };
  },
};
