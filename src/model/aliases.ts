// Friendly names: the kernel's own (nvme0, enp1s0f0, mlx5_0, video0) where known, else gpu0/nvme0/nic0/acc0/cap0 by BDF order.
import type { Device, DeviceKind } from './types.js';

const PREFIX: Partial<Record<DeviceKind, string>> = {
  gpu: 'gpu', nvme: 'nvme', nic: 'nic', accelerator: 'acc', storage: 'disk', capture: 'cap',
};

/** Devices must be in BDF order. Sets `alias` in place. */
export function assignAliases(devices: Device[]): void {
  const counters = new Map<string, number>();
  const taken = new Set<string>();
  for (const d of devices) for (const n of d.names) taken.add(n);
  const next = (prefix: string): string => {
    let n = counters.get(prefix) ?? 0;
    while (taken.has(`${prefix}${n}`)) n++;
    counters.set(prefix, n + 1);
    taken.add(`${prefix}${n}`);
    return `${prefix}${n}`;
  };
  for (const d of devices) {
    const nvme = d.names.find((n) => /^nvme\d+$/.test(n));
    const net = d.raw.classNames?.net?.[0];
    const rdma = d.raw.classNames?.infiniband?.[0];
    const video = d.raw.classNames?.video4linux?.[0];
    if (d.kind === 'nvme' && nvme) d.alias = nvme;
    else if (d.kind === 'nic' && (net || rdma)) d.alias = net ?? rdma!;
    else if (d.kind === 'capture' && video && !taken.has(video)) {
      // A capture card is known by its first V4L2 node (/dev/video0), as a NIC by its netdev.
      d.alias = video;
      taken.add(video);
    } else if (d.kind === 'gpu') d.alias = next('gpu');
    else {
      const prefix = PREFIX[d.kind];
      d.alias = prefix ? next(prefix) : null;
    }
  }
}

/** The name a person knows a function by: its alias or first kernel name; null when it has neither. */
export function friendlyName(d: Pick<Device, 'alias' | 'names'>): string | null {
  return d.alias ?? d.names[0] ?? null;
}

/** The friendly name, or the BDF when there is none ("nvme0", "0000:03:00.0"). */
export function shortLabel(d: Pick<Device, 'alias' | 'names' | 'bdf'>): string {
  return friendlyName(d) ?? d.bdf;
}

/** The friendly name with the BDF ("nvme0 (0000:03:00.0)"), or the BDF alone. */
export function labelWithBdf(d: Pick<Device, 'alias' | 'names' | 'bdf'>): string {
  const name = friendlyName(d);
  return name ? `${name} (${d.bdf})` : d.bdf;
}

/** The short label of the function at `bdf` in a fabric's map, or the BDF itself when the map lacks it. */
export function shortLabelOf(byBdf: ReadonlyMap<string, Pick<Device, 'alias' | 'names' | 'bdf'>>, bdf: string): string {
  const d = byBdf.get(bdf);
  return d ? shortLabel(d) : bdf;
}

/** What the function is, from the PCI ID database: "MT2910 Family [ConnectX-7]", else vendor and class, else the IDs. */
export function shortName(d: Pick<Device, 'deviceName' | 'vendorName' | 'className' | 'vendorId' | 'deviceId'>): string {
  if (d.deviceName) return d.deviceName;
  if (d.vendorName && d.className) return `${d.vendorName} ${d.className}`;
  if (d.className) return d.className;
  if (d.vendorId && d.deviceId) return `[${d.vendorId}:${d.deviceId}]`;
  return 'unknown device';
}

/** A device-memory mechanism's word in topo and show lines (src/model/mem-mechanisms.ts kinds). */
export const MECHANISM_LABEL: Readonly<Record<string, string>> = {
  dax: 'device-DAX', rdma: 'RDMA', capture: 'V4L2', dvb: 'DVB', hmm: 'HMM', dmabuf: 'dma-buf', cxl: 'CXL memdev', kfd: 'KFD', vram: 'VRAM',
};

/** One mechanism as a line: "device-DAX /dev/dax0.0: size 250 MiB, align 2 MiB". */
export function mechanismText(m: { kind: string; node: string; detail: readonly string[] }): string {
  return `${MECHANISM_LABEL[m.kind] ?? m.kind} ${m.node}${m.detail.length ? `: ${m.detail.join(', ')}` : ''}`;
}
