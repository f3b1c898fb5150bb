// Walking the fabric the way the kernel's P2PDMA code does: upstream bridges, root-bus "host bridge"
// device, ACS redirect state of one function. Pure; reads only the Fabric.
import { ACS_BIT_NAMES, type AcsBitName, type Device, type Fabric } from '../types.js';

/** The ACS control bits the kernel treats as "redirect" (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC). */
export const ACS_REDIRECT_BITS: readonly AcsBitName[] = ['ReqRedir', 'CmpltRedir', 'EgressCtrl'];
const bitOf = (b: AcsBitName): number => 1 << ACS_BIT_NAMES.indexOf(b);
const ACS_REDIRECT_MASK = ACS_REDIRECT_BITS.reduce((m, b) => m | bitOf(b), 0);

/**
 * What the kernel would see reading this function's ACS control register:
 * - none: the function has no ACS capability (certain: its capability list was read completely);
 * - clear: ACS present, no redirect bit set;
 * - redirect: ACS present with ReqRedir, CmpltRedir or EgressCtrl set (`bits` says which);
 * - unknown: config space too short to know (non-root read) or the control register unreadable.
 */
export type AcsRedirectState =
  | { state: 'none' }
  | { state: 'clear' }
  | { state: 'redirect'; bits: AcsBitName[] }
  | { state: 'unknown'; why: string };

export function acsRedirectState(d: Device): AcsRedirectState {
  if (d.acs) {
    if (d.acs.ctlRaw !== null) {
      const ctl = d.acs.ctlRaw;
      const bits = ACS_REDIRECT_BITS.filter((b) => (ctl & bitOf(b)) !== 0);
      return bits.length ? { state: 'redirect', bits } : { state: 'clear' };
    }
    if (d.acs.enabled !== null) {
      const enabled = d.acs.enabled;
      const bits = ACS_REDIRECT_BITS.filter((b) => enabled.includes(b));
      return bits.length ? { state: 'redirect', bits } : { state: 'clear' };
    }
    return { state: 'unknown', why: `ACS control register of ${d.bdf} could not be read` };
  }
  if (d.capabilities.complete) return { state: 'none' };
  return {
    state: 'unknown',
    why: `only ${d.configBytes} bytes of ${d.bdf}'s config space were readable, so its ACS capability is unknown`,
  };
}

/** True when the raw control value has a redirect bit (exported for tests of the mask itself). */
export function ctlHasRedirect(ctl: number): boolean {
  return (ctl & ACS_REDIRECT_MASK) !== 0;
}

/** pci_upstream_bridge(): the bridge above the function (a VF uses its PF's), null on a root bus. */
export function upstreamBridge(fabric: Fabric, d: Device): Device | null {
  const self = d.physfn ? fabric.byBdf.get(d.physfn) ?? d : d;
  if (!self.parent) return null;
  return fabric.byBdf.get(self.parent) ?? null;
}

/** [d, its upstream bridge, that bridge's upstream bridge, ...]. Stops on a cycle. */
export function upstreamChain(fabric: Fabric, d: Device): Device[] {
  const out: Device[] = [];
  const seen = new Set<string>();
  let cur: Device | null = d;
  while (cur && !seen.has(cur.bdf)) {
    out.push(cur);
    seen.add(cur.bdf);
    cur = upstreamBridge(fabric, cur);
  }
  return out;
}

/** The host bridge a function hangs under (a VF inherits its PF's). */
export function hostBridgeOf(fabric: Fabric, d: Device): string {
  const self = d.physfn ? fabric.byBdf.get(d.physfn) ?? d : d;
  return self.hostBridge;
}

/** Domain and root bus number of a host bridge name ("pci0000:00", "0000:00", "pci10000:00"). */
export function parseHostBridge(name: string): { domain: number; bus: number } | null {
  const m = /^(?:pci)?([0-9a-f]{4,8}):([0-9a-f]{2})$/i.exec(name);
  if (!m) return null;
  return { domain: parseInt(m[1], 16), bus: parseInt(m[2], 16) };
}

export interface HostBridgeDevice {
  hostBridge: string;
  /** The function the kernel compares with its allow-list, or null when there is none. */
  device: Device | null;
  /** Why `device` is null, or how it was chosen. */
  note: string;
}

/**
 * pci_host_bridge_dev(): the first function on the host bridge's root bus (lowest devfn), if it is
 * at devfn 00.0 or is a PCIe Root Port; otherwise none.
 */
export function hostBridgeDevice(
  fabric: Fabric, hostBridge: string, mode: HostBridgeMode = 'devfn-00.0-or-root-port',
): HostBridgeDevice {
  // Asked for every pair of a matrix; the answer is one per host bridge and mode, so it is kept per fabric.
  let memo = hostBridgeMemo.get(fabric);
  if (!memo) hostBridgeMemo.set(fabric, (memo = new Map()));
  const key = `${mode} ${hostBridge}`;
  let hb = memo.get(key);
  if (!hb) memo.set(key, (hb = findHostBridgeDevice(fabric, hostBridge, mode)));
  return hb;
}

type HostBridgeMode = 'devfn-00.0' | 'devfn-00.0-or-root-port';
const hostBridgeMemo = new WeakMap<Fabric, Map<string, HostBridgeDevice>>();

function findHostBridgeDevice(fabric: Fabric, hostBridge: string, mode: HostBridgeMode): HostBridgeDevice {
  const parsed = parseHostBridge(hostBridge);
  const onRoot = fabric.devices.filter((d) => {
    if (d.hostBridge !== hostBridge || d.physfn) return false;
    if (parsed) return d.domain === parsed.domain && d.bus === parsed.bus;
    return d.parent === null;
  });
  if (onRoot.length === 0) {
    return {
      hostBridge,
      device: null,
      note: `no function on the root bus of ${hostBridge} is in this fabric, so there is nothing the kernel could match (it treats that as not allow-listed)`,
    };
  }
  const rootBus = Math.min(...onRoot.map((d) => d.bus));
  const first = onRoot
    .filter((d) => d.bus === rootBus)
    .sort((a, b) => a.slot * 8 + a.func - (b.slot * 8 + b.func))[0];
  if (first.slot === 0 && first.func === 0) return { hostBridge, device: first, note: `${first.bdf} is at devfn 00.0` };
  if (mode === 'devfn-00.0') {
    // Before Linux 5.19 (1af7c26c59eb) the kernel looked only at devfn 00.0 of the root bus.
    return { hostBridge, device: null, note: `the root bus of ${hostBridge} has no function at devfn 00.0, and kernels before 5.19 match only that one` };
  }
  // pci_pcie_type() == Root Port; the inferred kind stands in only when the Express capability was unreadable.
  const isRootPort = first.portType !== null ? first.portType === 'root-port' : first.kind === 'root-port';
  if (isRootPort) {
    return { hostBridge, device: first, note: `${first.bdf} is the first function on the root bus and is a Root Port` };
  }
  return {
    hostBridge,
    device: null,
    note: `the first function on the root bus of ${hostBridge} (${first.bdf}) is neither at devfn 00.0 nor a Root Port, so the kernel finds no host bridge device to match`,
  };
}

export function idPair(d: Device): string {
  return `${d.vendorId ?? '????'}:${d.deviceId ?? '????'}`;
}

/** "ReqRedir+ CmpltRedir+" */
export function formatRedirectBits(bits: readonly AcsBitName[]): string {
  return bits.map((b) => `${b}+`).join(' ');
}
