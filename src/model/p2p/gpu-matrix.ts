// The GPU peer-access matrix: for every ordered GPU pair, what the driver says (cuDeviceCanAccessPeer /
// hipDeviceCanAccessPeer, as p2pBandwidthLatencyTest and nvbandwidth print it), our own kernel-rules
// verdict and the nvidia-smi legend we derive, and, when given, the legend nvidia-smi itself printed.
// Pure: the runtime's answers come in as data.
import type { Device, Fabric } from '../types.js';
import { computeP2pdma } from './kernel-rules.js';
import { classifyLegend } from './legend.js';
import type { TopoMatrix } from './nvsmi-topo.js';
import { friendlyName } from '../aliases.js';

/** One runtime device as the probe listed it. */
export interface RuntimeGpu {
  ordinal: number;
  pciBusId: string | null;
}

export interface GpuMatrixDevice {
  ordinal: number;
  bdf: string | null;
  /** Fabric alias ("gpu0"), null when the bus id is not in the fabric. */
  alias: string | null;
  /** nvidia-smi's label (GPU0..) when a topo matrix was given: nvidia-smi counts in PCI bus order. */
  smiLabel: string | null;
}

export interface GpuMatrixPair {
  a: number;
  b: number;
  /** The driver's answer (null: the query failed). */
  driverPeer: boolean | null;
  /** Our verdict for a -> b (computeP2pdma with b as the provider), null when a device is not in the fabric. */
  verdict: string | null;
  mapType: string | null;
  /** Our legend (X/PIX/PXB/PHB/NODE/SYS), null when unknown. */
  legend: string | null;
  /** nvidia-smi's legend for the same pair (NV# for NVLink), null when no matrix was given. */
  smiLegend: string | null;
  /** Ours equal to nvidia-smi's (null when there is nothing to compare, or nvidia-smi shows NVLink). */
  legendAgrees: boolean | null;
}

export interface GpuMatrix {
  devices: GpuMatrixDevice[];
  pairs: GpuMatrixPair[];
}

function normBdf(id: string | null): string | null {
  if (!id) return null;
  const m = /([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(id.trim());
  return m ? `${m[1].slice(-4)}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase() : null;
}

/** The fabric device for a runtime bus id ("00000000:65:00.0" or "0000:65:00.0"). */
export function deviceForBusId(fabric: Fabric, id: string | null): Device | null {
  const bdf = normBdf(id);
  if (!bdf) return null;
  return fabric.byBdf.get(bdf) ?? fabric.devices.find((d) => d.bdf.toLowerCase().endsWith(bdf.slice(-7))) ?? null;
}

export function buildGpuMatrix(fabric: Fabric, gpus: readonly RuntimeGpu[], canAccessPeer: readonly (readonly (boolean | null)[])[], smi: TopoMatrix | null = null): GpuMatrix {
  const devs = gpus.map((g) => deviceForBusId(fabric, g.pciBusId));
  const busOf = (i: number) => devs[i]?.bdf ?? normBdf(gpus[i].pciBusId) ?? '';
  const byBus = [...gpus.keys()].sort((i, j) => busOf(i).localeCompare(busOf(j)));
  const smiLabel = new Map(byBus.map((i, n) => [i, smi && smi.labels.includes(`GPU${n}`) ? `GPU${n}` : null]));
  const devices = gpus.map((g, i) => ({ ordinal: g.ordinal, bdf: devs[i]?.bdf ?? normBdf(g.pciBusId), alias: devs[i] ? friendlyName(devs[i]) : null, smiLabel: smiLabel.get(i) ?? null }));
  const pairs: GpuMatrixPair[] = [];
  for (let i = 0; i < gpus.length; i++) {
    for (let j = 0; j < gpus.length; j++) {
      if (i === j) continue;
      const a = devs[i], b = devs[j];
      const v = a && b ? computeP2pdma(fabric, a, b) : null;
      const legend = a && b ? classifyLegend(fabric, a, b).legend : null;
      const la = smiLabel.get(i), lb = smiLabel.get(j);
      const smiLegend = smi && la && lb ? smi.cells.get(`${la}|${lb}`) ?? null : null;
      pairs.push({
        a: gpus[i].ordinal, b: gpus[j].ordinal, driverPeer: canAccessPeer[i]?.[j] ?? null,
        verdict: v?.verdict ?? null, mapType: v?.mapType ?? null, legend,
        smiLegend, legendAgrees: smiLegend && legend && !/^NV\d+$/.test(smiLegend) ? smiLegend === legend : null,
      });
    }
  }
  return { devices, pairs };
}
