// Decides what a function is (GPU, NVMe, NIC, switch port...) from its class code, port type and place.
import type { DeviceKind, PortType } from './types.js';

/** Vendors whose display-class functions are compute GPUs (not BMC or management graphics). */
const GPU_VENDORS = new Set(['10de', '1002', '8086', '1ed5', '1e3e']);

export interface ClassifyInput {
  classCode: string | null;
  vendorId: string | null;
  portType: PortType | null;
  /** The function sits on a root bus (no upstream bridge). */
  onRootBus: boolean;
  parentKind: DeviceKind | null;
  hasChildren: boolean;
  /** A V4L2 or DVB node sits under this function (sysfs class links): a capture card whatever its class code. */
  hasCaptureNode?: boolean;
}

export function classifyEndpoint(classCode: string | null, vendorId: string | null): DeviceKind {
  if (!classCode) return 'endpoint';
  const base = classCode.slice(0, 2);
  const sub = classCode.slice(0, 4);
  if (classCode === '010802') return 'nvme';
  if (base === '01') return 'storage';
  if (base === '02') return 'nic';
  if (base === '03') return vendorId && GPU_VENDORS.has(vendorId) ? 'gpu' : 'endpoint';
  if (sub === '0b40' || base === '12') return 'accelerator';
  // Multimedia video (0x0400) and other multimedia (0x0480): capture and frame-grabber cards. Audio (0x0401, 0x0403) is not.
  if (sub === '0400' || sub === '0480') return 'capture';
  if (sub === '0600') return 'host-bridge';
  return 'endpoint';
}

export function isBridgeClass(classCode: string | null): boolean {
  return classCode !== null && (classCode.startsWith('0604') || classCode.startsWith('0609') || classCode.startsWith('0607'));
}

export function classify(input: ClassifyInput): DeviceKind {
  if (!isBridgeClass(input.classCode)) {
    const kind = classifyEndpoint(input.classCode, input.vendorId);
    return input.hasCaptureNode && kind === 'endpoint' ? 'capture' : kind;
  }
  switch (input.portType) {
    case 'root-port':
      return 'root-port';
    case 'upstream':
      return 'switch-upstream';
    case 'downstream':
      return 'switch-downstream';
    case null:
    case 'unknown':
      break;
    default:
      return 'bridge';
  }
  // Port type unreadable (non-root sees 64 bytes): infer from the bridge's place in the tree.
  if (input.onRootBus) return 'root-port';
  if (input.parentKind === 'switch-upstream') return 'switch-downstream';
  if ((input.parentKind === 'root-port' || input.parentKind === 'switch-downstream') && input.hasChildren) {
    return 'switch-upstream';
  }
  return 'bridge';
}

/** Kinds that forward traffic rather than make it: bridges and ports, never a DMA endpoint. */
export const BRIDGE_KINDS: ReadonlySet<DeviceKind> = new Set(['root-port', 'switch-upstream', 'switch-downstream', 'bridge', 'host-bridge']);

/** A device kind's word in tree lines and the diagram (topo, the TUI tree); '' for plain endpoints. */
export const KIND_LABEL: Readonly<Record<string, string>> = {
  gpu: 'GPU', nvme: 'NVMe', nic: 'NIC', accelerator: 'accel', storage: 'storage', capture: 'capture', 'root-port': 'root port',
  'switch-upstream': 'switch', 'switch-downstream': 'port', bridge: 'bridge', 'host-bridge': 'host bridge', endpoint: '',
};
