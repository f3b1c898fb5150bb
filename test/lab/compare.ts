// What a lab result proves: the kernel against the spec, and p2p's own answers against the kernel and lspci.
// Pure functions over a LabResult, so the booting suite and `npm run lab` report the same things.
import { parseLspciTree, parentMap } from './lspci-tree.js';
import { benchPairs, type LabResult } from './runner.js';
import type { KernelOutcome, LabSpec } from './spec.js';

export interface PairCheck {
  pair: string; // "client->provider"
  expected: string;
  actual: string;
  ok: boolean;
  detail: string;
}

/** Unavailable: the p2p command has not been written yet, or printed no JSON. */
export type Comparison = { available: false; reason: string } | { available: true; checks: PairCheck[] };

/** Every expectation in the spec (by default the one the run used) against what the kernel did. Missing pairs fail. */
export function kernelVsSpec(r: LabResult, spec: Pick<LabSpec, 'expect'> = r.spec): PairCheck[] {
  return spec.expect.map((e) => {
    const pair = `${e.client}->${e.provider}`;
    const o = r.guest.oracle.find((x) => x.client === e.client && x.provider === e.provider);
    if (!o) return { pair, expected: e.kernel, actual: 'missing', ok: false, detail: 'the guest did not run this pair (drive or p2pmem provider not found?)' };
    return { pair, expected: e.kernel, actual: o.outcome, ok: o.outcome === e.kernel, detail: o.detail };
  });
}

/**
 * A p2p command's JSON output. Not listed by `p2p --help` (or refused as unknown): not available
 * yet, a skip. Listed but timed out, crashed or printed no JSON: a failure, reported as a failed check.
 */
function commandJson(r: LabResult, name: string): { json: unknown } | { reason: string } | { failed: PairCheck } {
  const c = r.guest.commands[name];
  if (!c || c.absent) return { reason: `p2p ${name} not available yet (this checkout's p2p --help does not list it)` };
  const lastErr = c.stderr.trim().split('\n').slice(-1)[0] ?? '';
  if (c.json === null && /unknown (command|argument)/i.test(c.stderr)) return { reason: `p2p ${name} not available yet (${lastErr})` };
  const fail = (actual: string): { failed: PairCheck } => ({
    failed: { pair: `p2p ${c.args}`, expected: 'JSON on stdout', actual, ok: false, detail: `exit ${c.exitCode}; stderr: ${c.stderr.trim().slice(-400)}` },
  });
  if (c.timedOut) return fail(`timed out in the guest after ${c.seconds ?? '?'}s`);
  if (c.json === null) return fail(c.stdout.trim() === '' ? `no output (exit ${c.exitCode})` : `output is not JSON (exit ${c.exitCode})`);
  return { json: c.json };
}

type MapType = 'BUS_ADDR' | 'THRU_HOST_BRIDGE' | 'NOT_SUPPORTED';
interface MatrixPair { client?: string; provider?: string; p2pdma?: { mapType?: MapType; distance?: number; reasons?: string[] } }

/** The map type the kernel's outcome implies: success (even with wrong data) means it allowed the mapping. */
export function allowedBy(outcome: KernelOutcome | 'error'): boolean | null {
  if (outcome === 'ok' || outcome === 'mismatch') return true;
  if (outcome === 'EREMOTEIO') return false;
  return null;
}

/** `p2p matrix --json` against the kernel for every oracle pair. */
export function matrixVsKernel(r: LabResult): Comparison {
  const got = commandJson(r, 'matrix');
  if ('reason' in got) return { available: false, reason: got.reason };
  if ('failed' in got) return { available: true, checks: [got.failed] };
  const pairs = (got.json as { pairs?: MatrixPair[] }).pairs;
  if (!Array.isArray(pairs)) return { available: true, checks: [{ pair: 'p2p matrix --json', expected: 'a "pairs" array', actual: 'none', ok: false, detail: JSON.stringify(got.json).slice(0, 300) }] };
  const checks: PairCheck[] = r.guest.oracle.map((o) => {
    const pair = `${o.client ?? o.clientBdf}->${o.provider ?? o.providerBdf}`;
    const allowed = allowedBy(o.outcome);
    const m = pairs.find((p) => p.client === o.clientBdf && p.provider === o.providerBdf);
    const mapType = m?.p2pdma?.mapType;
    const expected = allowed === null ? `(kernel: ${o.outcome})` : allowed ? 'BUS_ADDR|THRU_HOST_BRIDGE' : 'NOT_SUPPORTED';
    if (!m) return { pair, expected, actual: 'missing', ok: false, detail: `no pair ${o.clientBdf} -> ${o.providerBdf} in p2p matrix --json` };
    const ours = mapType === 'NOT_SUPPORTED' ? false : mapType === 'BUS_ADDR' || mapType === 'THRU_HOST_BRIDGE' ? true : null;
    return {
      pair,
      expected,
      actual: String(mapType),
      ok: allowed !== null && ours === allowed,
      detail: `kernel: ${o.detail}; p2p reasons: ${(m.p2pdma?.reasons ?? []).join('; ')}`,
    };
  });
  const release = releaseCheck(got.json, r.guest.kernelRelease);
  return { available: true, checks: release ? [...checks, release] : checks };
}

/** The release p2p decided for must be the guest's own (uname -r): the rules are per release. */
function releaseCheck(json: unknown, uname: string | null): PairCheck | null {
  const k = (json as { kernel?: { release?: string | null } }).kernel;
  if (!k || !uname) return null; // an older p2p without the field, or a guest that wrote no uname
  return { pair: 'p2p matrix --json kernel.release', expected: uname, actual: String(k.release), ok: k.release === uname, detail: 'the release read in the guest decides which P2PDMA rules apply' };
}

/** `p2p topo --json` parents against lspci -tv inside the guest. */
export function topoVsLspci(r: LabResult): Comparison {
  const got = commandJson(r, 'topo');
  if ('reason' in got) return { available: false, reason: got.reason };
  if ('failed' in got) return { available: true, checks: [got.failed] };
  const devices = (got.json as { devices?: { bdf?: string; parent?: string | null }[] }).devices;
  if (!Array.isArray(devices)) return { available: true, checks: [{ pair: 'p2p topo --json', expected: 'a "devices" array', actual: 'none', ok: false, detail: JSON.stringify(got.json).slice(0, 300) }] };
  const text = r.guest.lspciTv ?? r.guest.lspciT;
  if (!text) return { available: false, reason: 'the guest produced no lspci -tv output' };
  const lspci = parentMap(parseLspciTree(text));
  const ours = new Map(devices.filter((d) => typeof d.bdf === 'string').map((d) => [d.bdf!, d.parent ?? null]));
  const checks: PairCheck[] = [];
  for (const [bdf, parent] of lspci) {
    const mine = ours.has(bdf) ? ours.get(bdf)! : 'missing';
    checks.push({ pair: bdf, expected: String(parent), actual: String(mine), ok: mine === parent, detail: 'parent per lspci -tv vs p2p topo --json' });
  }
  for (const bdf of ours.keys()) {
    if (!lspci.has(bdf)) checks.push({ pair: bdf, expected: 'absent', actual: String(ours.get(bdf)), ok: false, detail: 'p2p topo shows a device lspci does not' });
  }
  return { available: true, checks };
}

/**
 * `p2p topo --json` IDs against `lspci -nD` inside the guest: vendor:device and class for every
 * function. lspci reads the kernel's sysfs `vendor`/`device` files, which for an SR-IOV VF hold what
 * its own header reads as 0xffff.
 */
export function topoIdsVsLspci(r: LabResult): Comparison {
  const got = commandJson(r, 'topo');
  if ('reason' in got) return { available: false, reason: got.reason };
  if ('failed' in got) return { available: true, checks: [got.failed] };
  if (!r.guest.lspciN) return { available: false, reason: 'the guest produced no lspci -nD output (a result from before it was recorded)' };
  const devices = (got.json as { devices?: { bdf?: string; vendorId?: string | null; deviceId?: string | null; classCode?: string | null }[] }).devices ?? [];
  const ours = new Map(devices.map((d) => [d.bdf, `${(d.classCode ?? '????').slice(0, 4)} ${d.vendorId ?? '?'}:${d.deviceId ?? '?'}`]));
  const checks: PairCheck[] = [];
  for (const line of r.guest.lspciN.split('\n')) {
    // "0000:01:00.0 0108: 1b36:0010 (rev 02)"
    const m = /^([0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ([0-9a-f]{4}): ([0-9a-f]{4}:[0-9a-f]{4})/.exec(line);
    if (!m) continue;
    const expected = `${m[2]} ${m[3]}`;
    const actual = ours.get(m[1]) ?? 'missing';
    checks.push({ pair: m[1], expected, actual, ok: actual === expected, detail: 'class and vendor:device per lspci -nD vs p2p topo --json' });
  }
  if (!checks.length) return { available: true, checks: [{ pair: 'lspci -nD', expected: 'functions', actual: 'none parsed', ok: false, detail: r.guest.lspciN.slice(0, 300) }] };
  return { available: true, checks };
}

/** Does `p2p doctor --json` mention `word` (case-insensitive) anywhere in its findings? */
/** The status `p2p doctor --json` gave one check id (doctor reports each finding with id and status). */
export function doctorStatus(r: LabResult, id: string): { available: false; reason: string } | { available: true; status: string | null; text: string } {
  const got = commandJson(r, 'doctor');
  if ('reason' in got) return { available: false, reason: got.reason };
  if ('failed' in got) return { available: true, status: null, text: `${got.failed.actual}: ${got.failed.detail}` };
  const findings = (got.json as { findings?: { id?: string; status?: string }[] }).findings ?? [];
  const f = findings.find((x) => x.id === id);
  return { available: true, status: f?.status ?? null, text: JSON.stringify(f ?? findings.map((x) => x.id)) };
}

/**
 * Each `p2p bench` run in the guest against the kernel's answer for its pair: where the kernel
 * moved the right bytes the direct run must verify; where it reported success with wrong bytes
 * (IOMMU) bench must catch that and say the bytes differ.
 */
export function benchVerified(r: LabResult): Comparison {
  const runs = Object.entries(r.guest.commands)
    .filter(([k]) => k.startsWith('bench-'))
    .sort(([a], [b]) => Number(a.slice(6)) - Number(b.slice(6)));
  if (runs.length === 0) return { available: false, reason: 'p2p bench not available yet (no bench command in this checkout, so the lab did not run it)' };
  const pairs = benchPairs(r.spec, runs.length);
  const checks = runs.map(([name, c], i): PairCheck => {
    const e = pairs[i];
    const o = e && r.guest.oracle.find((x) => x.client === e.client && x.provider === e.provider);
    const pair = e ? `${e.client}->${e.provider}` : name;
    const want = o?.outcome === 'mismatch' ? 'NOT verified' : 'verified';
    const lastErr = c.stderr.trim().split('\n').slice(-1)[0] ?? '';
    if (c.json === null) return { pair, expected: want, actual: c.timedOut ? 'timed out' : `exit ${c.exitCode}, no JSON`, ok: false, detail: `p2p ${c.args}: ${lastErr}` };
    const v = directVerify(c.json);
    const actual = v === null ? 'no direct run with a checked verify' : v ? 'verified' : 'NOT verified';
    return { pair, expected: want, actual, ok: actual === want, detail: `p2p ${c.args} (kernel: ${o?.outcome ?? '?'})` };
  });
  return { available: true, checks };
}

/** The direct run's verification: true/false when it was checked, null when there is none. */
export function directVerify(doc: unknown): boolean | null {
  const runs = (doc as { runs?: { path?: string; verify?: { checked?: boolean; ok?: boolean } }[] } | null)?.runs;
  if (Array.isArray(runs)) {
    const d = runs.find((x) => x.path === 'direct');
    if (d?.verify?.checked === true && typeof d.verify.ok === 'boolean') return d.verify.ok;
    return null;
  }
  const v = (doc as { verified?: unknown } | null)?.verified;
  return typeof v === 'boolean' ? v : null;
}

/** A doctor finding's evidence, by id ('' when absent). */
function evidenceOf(json: unknown, id: string): { status: string | null; text: string } {
  const f = ((json as { findings?: { id?: string; status?: string; evidence?: string[] }[] }).findings ?? []).find((x) => x.id === id);
  return { status: f?.status ?? null, text: (f?.evidence ?? []).join('\n') };
}

/**
 * Every device-memory mechanism the kernel showed in the guest (init.sh's devmem-* files, read without
 * p2p) against `p2p doctor --json` and `p2p topo --json` from the same guest: each DAX device with its
 * daxctl size, each RDMA link, each V4L2 node, each CXL memdev (and its PCI function in topo), each
 * dma-buf exporter in bufinfo, the udmabuf and heaps, the CXL window in /proc/iomem.
 */
export function devmemVsKernel(r: LabResult): Comparison {
  const doc = commandJson(r, 'doctor');
  if ('reason' in doc) return { available: false, reason: doc.reason };
  if ('failed' in doc) return { available: true, checks: [doc.failed] };
  const topo = commandJson(r, 'topo');
  const topoJson = 'json' in topo ? (topo.json as { devices: { bdf: string; memory?: { node: string }[] }[]; memory?: { node: string; pci: string | null }[] }) : null;
  const k = r.guest.devmem;
  const checks: PairCheck[] = [];
  const expectIn = (what: string, id: string, needle: string, detail: string): void => {
    const e = evidenceOf(doc.json, id);
    checks.push({ pair: what, expected: `${id} names ${needle}`, actual: e.text.includes(needle) ? `${id} names it` : `${id}: ${e.status ?? 'absent'}`, ok: e.text.includes(needle), detail: detail + (e.text.includes(needle) ? '' : `; evidence: ${e.text.slice(0, 300)}`) });
  };
  const daxctl = Array.isArray(k.daxctl) ? (k.daxctl as { chardev?: string; size?: number }[]) : [];
  for (const d of k.dev.filter((n) => /^dax\d+\.\d+$/.test(n))) {
    const size = daxctl.find((x) => x.chardev === d)?.size;
    expectIn(`/dev/${d}`, 'dax.devices', `/dev/${d}`, `ls /dev shows it; daxctl size ${size ?? '?'}`);
    if (size) {
      const e = evidenceOf(doc.json, 'dax.devices').text.split('\n').find((l) => l.startsWith(`/dev/${d}:`)) ?? '';
      const mib = size / 1048576;
      const want = `size ${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
      checks.push({ pair: `/dev/${d} size`, expected: want, actual: e, ok: e.includes(want), detail: 'daxctl list' });
    }
  }
  for (const m of (k.rdmaLink ?? '').matchAll(/^link (\S+)\/\d+ /gm)) expectIn(`RDMA ${m[1]}`, 'rdma.devices', `${m[1]}:`, `rdma link: ${m[0].trim()}`);
  for (const v of k.dev.filter((n) => /^video\d+$/.test(n))) expectIn(`/dev/${v}`, 'capture.devices', `/dev/${v}:`, 'ls /dev shows it');
  for (const h of k.dev.filter((n) => /^hmm_dmirror\d+$/.test(n))) expectIn(`/dev/${h}`, 'hmm.devices', `/dev/${h}:`, 'ls /dev shows it');
  if (k.dev.includes('udmabuf')) expectIn('/dev/udmabuf', 'dmabuf.devices', '/dev/udmabuf', 'ls /dev shows it');
  for (const h of k.dmaHeaps) expectIn(`/dev/dma_heap/${h}`, 'dmabuf.devices', `/dev/dma_heap/${h}`, 'ls /dev/dma_heap shows it');
  for (const exp of new Set([...(k.bufinfo ?? '').matchAll(/^\d+\t[0-9a-f]+\t[0-9a-f]+\t\d+\t(\S+)\t/gm)].map((m) => m[1]))) {
    expectIn(`dma-buf exporter ${exp}`, 'dmabuf.buffers', `exporter ${exp}:`, 'debugfs bufinfo lists its buffers');
  }
  for (const mem of k.cxl.filter((n) => /^mem\d+$/.test(n))) {
    expectIn(`CXL ${mem}`, 'cxl.devices', `${mem}:`, 'ls /sys/bus/cxl/devices shows it');
    const real = k.paths.find((l) => l.startsWith(`/sys/bus/cxl/devices/${mem} `))?.split(' ')[1] ?? '';
    const bdf = real.match(/[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]/g)?.at(-1) ?? null;
    const inTopo = topoJson?.devices.find((d) => d.bdf === bdf)?.memory?.some((x) => x.node === mem) ?? false;
    checks.push({ pair: `CXL ${mem} in topo`, expected: `under ${bdf}`, actual: inTopo ? `under ${bdf}` : 'not under it', ok: bdf !== null && inTopo, detail: `its sysfs path ${real}` });
  }
  if (/CXL Window/.test(k.iomem ?? '')) expectIn('/proc/iomem CXL Window', 'cxl.iomem', 'CXL Window', 'the guest\'s /proc/iomem (read as root)');
  if (checks.length === 0) return { available: false, reason: 'the guest showed no device-memory mechanism' };
  return { available: true, checks };
}
