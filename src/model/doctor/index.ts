// `p2p doctor`'s model: the list of checks, the shared context (candidates, pair verdicts), and
// runDoctorChecks(). Pure: reads a DoctorInput, returns findings. No fs, no process, no colour.
import { computeP2pdma } from '../p2p/kernel-rules.js';
import { pairsByClass } from '../p2p/classes.js';
import { hasP2pmem, selectEndpoints } from '../p2p/matrix.js';
import type { Device } from '../types.js';
import { kernelCmdlineCheck, kernelLogCheck, kernelNewerRulesCheck, kernelP2pdmaCheck, kernelVersionCheck } from './checks-kernel.js';
import { aerCheck, linkSpeedCheck, mpsCheck, mrrsCheck, relaxedOrderingCheck } from './checks-link.js';
import { barPlacementCheck, gpuBarCheck, numaPairsCheck, numaUnknownCheck, nvmeCmbCheck, p2pmemCheck } from './checks-mem.js';
import { acsCheck, iommuCheck, pairsCheck } from './checks-p2p.js';
import { cufileCheck, driverBoundCheck, ioUringCheck, nvidiaModulesCheck, odirectCheck } from './checks-sw.js';
import { privilegesCheck } from './checks-priv.js';
import { bar1Check, gdscheckCheck, gdsModeCheck } from './checks-gpu.js';
import {
  captureDevicesCheck, cxlDevicesCheck, cxlIomemCheck, daxDevicesCheck, dmabufAmdgpuCheck, dmabufBuffersCheck, dmabufConfigCheck,
  dmabufDevicesCheck, hmmDevicesCheck, rdmaDevicesCheck, rdmaPeerModulesCheck,
} from './checks-devmem.js';
import type {
  CheckDef, CheckGroup, DoctorContext, DoctorInput, DoctorReport, DoctorSelection, Finding, PairVerdict,
} from './types.js';
import { deviceLabel } from './util.js';

export * from './types.js';
export { linkDowngrades } from './checks-link.js';

/** Every check, in report order. Ids are stable: scripts, --only/--skip and Prometheus use them. */
export const CHECKS: readonly CheckDef[] = [
  kernelVersionCheck,
  kernelP2pdmaCheck,
  kernelCmdlineCheck,
  kernelLogCheck,
  kernelNewerRulesCheck,
  iommuCheck,
  acsCheck,
  linkSpeedCheck,
  mpsCheck,
  mrrsCheck,
  relaxedOrderingCheck,
  aerCheck,
  p2pmemCheck,
  nvmeCmbCheck,
  gpuBarCheck,
  barPlacementCheck,
  numaUnknownCheck,
  numaPairsCheck,
  driverBoundCheck,
  nvidiaModulesCheck,
  cufileCheck,
  ioUringCheck,
  odirectCheck,
  privilegesCheck,
  pairsCheck,
  gdsModeCheck,
  bar1Check,
  gdscheckCheck,
  daxDevicesCheck,
  hmmDevicesCheck,
  rdmaDevicesCheck,
  rdmaPeerModulesCheck,
  captureDevicesCheck,
  dmabufDevicesCheck,
  dmabufBuffersCheck,
  dmabufConfigCheck,
  dmabufAmdgpuCheck,
  cxlDevicesCheck,
  cxlIomemCheck,
];

export const GROUP_TITLES: Record<CheckGroup, string> = {
  kernel: 'Kernel',
  iommu: 'IOMMU',
  acs: 'ACS',
  link: 'Links',
  mem: 'Memory and BARs',
  numa: 'NUMA',
  driver: 'Drivers',
  sw: 'Software',
  priv: 'Privileges',
  p2p: 'P2P pairs',
  gpu: 'GPU (GPUDirect)',
  dax: 'Device-DAX',
  hmm: 'HMM device memory',
  rdma: 'RDMA',
  capture: 'Capture devices',
  dmabuf: 'dma-buf',
  cxl: 'CXL and device memory ranges',
};

export const CHECK_IDS: readonly string[] = CHECKS.map((c) => c.id);

/** Ids and group names `--only`/`--skip` accept; returns the names that match nothing. */
export function unknownSelectors(names: readonly string[]): string[] {
  const groups = new Set(CHECKS.map((c) => c.group as string));
  return names.filter((n) => !CHECK_IDS.includes(n) && !groups.has(n));
}

function matches(c: CheckDef, names: readonly string[]): boolean {
  return names.includes(c.id) || names.includes(c.group);
}

/** The checks a selection runs, in report order. Unknown names are ignored (validate with unknownSelectors). */
export function selectChecks(sel: DoctorSelection = {}): CheckDef[] {
  return CHECKS.filter((c) => (!sel.only?.length || matches(c, sel.only)) && !(sel.skip?.length && matches(c, sel.skip)));
}

/** The devices P2P questions are about: GPUs, NVMe, NICs, accelerators and p2pmem providers; no VFs. */
export function p2pCandidates(input: DoctorInput): Device[] {
  return selectEndpoints(input.fabric).filter((d) => !d.physfn || hasP2pmem(d));
}

/** Every unordered pair of candidates with the kernel's verdict; the p2pmem side is the provider. */
export function candidatePairs(input: DoctorInput, cands: Device[]): PairVerdict[] {
  const out: PairVerdict[] = [];
  const f = input.fabric;
  // Candidates alike (below one port, or one root port apart) get one computation, re-labelled.
  const verdictOf = pairsByClass(f, cands, (client, provider) => computeP2pdma(f, client, provider));
  for (let i = 0; i < cands.length; i++) {
    for (let j = i + 1; j < cands.length; j++) {
      let client = cands[i];
      let provider = cands[j];
      if (hasP2pmem(client) && !hasP2pmem(provider)) [client, provider] = [provider, client];
      const verdict = verdictOf(client, provider);
      out.push({ client: client.bdf, provider: provider.bdf, verdict });
    }
  }
  return out;
}

export function makeContext(input: DoctorInput): DoctorContext {
  let cands: Device[] | null = null;
  let pairs: PairVerdict[] | null = null;
  const ctx: DoctorContext = {
    candidates: () => (cands ??= p2pCandidates(input)),
    pairs: () => (pairs ??= candidatePairs(input, ctx.candidates())),
    label: (bdf) => {
      const d = input.fabric.byBdf.get(bdf);
      return d ? deviceLabel(d) : bdf;
    },
  };
  return ctx;
}

/** Runs one check, turning an exception into a `fail` finding that names the bug (a check must not sink the report). */
function runOne(c: CheckDef, input: DoctorInput, ctx: DoctorContext): Finding {
  try {
    const r = c.run(input, ctx);
    const f: Finding = { id: c.id, group: c.group, title: r.title ?? c.title, status: r.status, evidence: r.evidence, devices: r.devices };
    if (r.fix && r.fix.length) f.fix = r.fix;
    return f;
  } catch (e) {
    return {
      id: c.id, group: c.group, title: c.title, status: 'skip',
      evidence: [`internal error in this check: ${(e as Error).message} (please report it)`], devices: [],
    };
  }
}

export function exitCodeOf(findings: readonly Finding[]): 0 | 1 | 2 {
  if (findings.some((f) => f.status === 'fail')) return 2;
  if (findings.some((f) => f.status === 'warn')) return 1;
  return 0;
}

/** Runs the selected checks. Pure: the same input gives the same report. Pass `ctx` to reuse its pair verdicts afterwards. */
export function runDoctorChecks(input: DoctorInput, sel: DoctorSelection = {}, ctx: DoctorContext = makeContext(input)): DoctorReport {
  const findings = selectChecks(sel).map((c) => runOne(c, input, ctx));
  const summary = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const f of findings) summary[f.status]++;
  return { findings, summary, exitCode: exitCodeOf(findings) };
}
