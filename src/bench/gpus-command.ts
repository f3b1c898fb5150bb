// `p2p gpus`: the GPUs CUDA (or ROCm) lists, mapped to PCI functions by their bus ids, and the
// peer-access matrix for every pair: the driver's answer, our verdict and legend, nvidia-smi's legend
// when its `topo -m` output is given, and with --bandwidth a measured peer vs staged copy per pair.
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { CommandIO, SourceOptions } from '../commands/shared.js';
import type { GpuProbe, GpuRuntimeName } from '../native/addon.js';
import { buildGpuMatrix, type GpuMatrix } from '../model/p2p/gpu-matrix.js';
import { parseTopo, type TopoMatrix } from '../model/p2p/nvsmi-topo.js';
import { runGpuPlan } from './gpu-run.js';
import { checkSettings } from './settings.js';

export interface GpusOptions extends SourceOptions {
  runtime?: GpuRuntimeName;
  lib?: string;
  nvidiaSmiTopo?: string;
  bandwidth?: boolean;
  json?: boolean;
}

/** Measured peer and staged bandwidth for one ordered pair (GB/s), with --bandwidth. */
export interface PairBandwidth {
  a: number;
  b: number;
  peerGBps: number | null;
  stagedGBps: number | null;
  error: string | null;
}

export interface GpusReport {
  schema: 'p2p.gpus/1';
  runtime: GpuRuntimeName;
  driverVersion: number | null;
  matrix: GpuMatrix;
  bandwidth: PairBandwidth[] | null;
  /** Pairs where our legend differs from nvidia-smi's. */
  legendMismatches: number;
}

function readTopo(file: string | undefined): TopoMatrix | null {
  if (!file) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`--nvidia-smi-topo ${file}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read it'}`);
  }
  try {
    return parseTopo(text);
  } catch (e) {
    throw new UserError(`--nvidia-smi-topo ${file}: ${(e as Error).message}`);
  }
}

async function measurePairs(probe: GpuProbe, lib: string): Promise<PairBandwidth[]> {
  const { startGpuBench } = await import('../native/addon.js');
  const settings = checkSettings({ source: 'gpus', total: '64M' }, {});
  const out: PairBandwidth[] = [];
  for (const a of probe.devices) {
    for (const b of probe.devices) {
      if (a.ordinal >= b.ordinal) continue;
      const end = (o: number) => ({ spec: `${o}`, label: `${o}`, bdf: null, ordinal: o });
      try {
        const r = await runGpuPlan({ kind: 'gpu', settings, runtime: probe.runtime, lib, what: 'gpu-gpu', a: end(a.ordinal), b: end(b.ordinal), bytes: 16 << 20, notes: [], warnings: [], pair: null }, startGpuBench);
        for (const dir of ['ab', 'ba'] as const) {
          const peer = r.cases.find((c) => c.name === `peer-${dir}`);
          const staged = r.cases.find((c) => c.name === `staged-${dir}`);
          const ok = (c: typeof peer) => (c && !c.error && c.verify.ok ? c.gbPerSec : null);
          out.push({ a: dir === 'ab' ? a.ordinal : b.ordinal, b: dir === 'ab' ? b.ordinal : a.ordinal, peerGBps: ok(peer), stagedGBps: ok(staged), error: peer?.error ?? staged?.error ?? null });
        }
      } catch (e) {
        out.push({ a: a.ordinal, b: b.ordinal, peerGBps: null, stagedGBps: null, error: (e as Error).message });
      }
    }
  }
  return out;
}

export async function gpusReport(opts: GpusOptions): Promise<GpusReport> {
  (await import('../access/source.js')).openSource(opts).requireLive('p2p gpus');
  const runtime = opts.runtime ?? 'cuda';
  const lib = opts.lib ?? (runtime === 'cuda' ? process.env.P2P_LIBCUDA ?? 'libcuda.so.1' : process.env.P2P_LIBHIP ?? 'libamdhip64.so');
  const smi = readTopo(opts.nvidiaSmiTopo);
  const [{ probeGpus }, { loadFabric }] = await Promise.all([import('../native/addon.js'), import('../access/load.js')]);
  const probe = probeGpus(runtime, lib);
  if (!probe.available) throw new UserError(`${runtime === 'cuda' ? 'CUDA' : 'ROCm (HIP)'} unavailable (${probe.stage ?? 'load'}): ${probe.reason ?? 'unknown reason'}`);
  const fabric = await loadFabric(opts);
  const matrix = buildGpuMatrix(fabric, probe.devices, probe.canAccessPeer, smi);
  return {
    schema: 'p2p.gpus/1', runtime, driverVersion: probe.driverVersion ?? null, matrix,
    bandwidth: opts.bandwidth ? await measurePairs(probe, lib) : null,
    legendMismatches: matrix.pairs.filter((p) => p.legendAgrees === false).length,
  };
}

export function renderGpusText(r: GpusReport, io: CommandIO): void {
  const name = (o: number) => {
    const d = r.matrix.devices.find((x) => x.ordinal === o);
    return `${o}${d?.alias ? ` ${d.alias}` : ''}${d?.bdf ? ` ${d.bdf}` : ''}`;
  };
  io.out(`${r.runtime === 'cuda' ? 'CUDA' : 'HIP'} devices (driver ${r.driverVersion ?? '?'}):\n`);
  for (const d of r.matrix.devices) io.out(`  ${d.ordinal}  ${d.bdf ?? '(no bus id)'}  ${d.alias ?? '(not in the fabric)'}${d.smiLabel ? `  nvidia-smi ${d.smiLabel}` : ''}\n`);
  const bw = (p: { a: number; b: number }) => r.bandwidth?.find((x) => x.a === p.a && x.b === p.b);
  const rows = r.matrix.pairs.map((p) => {
    const m = bw(p);
    return [
      `${name(p.a)} -> ${name(p.b)}`, p.driverPeer === null ? '?' : p.driverPeer ? 'yes' : 'no', p.verdict ?? '?', p.legend ?? '?',
      p.smiLegend ?? '-', p.legendAgrees === false ? 'DIFFERS' : p.legendAgrees ? 'same' : '-',
      ...(r.bandwidth ? [m?.error ? m.error : `${m?.peerGBps?.toFixed(1) ?? '-'} / ${m?.stagedGBps?.toFixed(1) ?? '-'}`] : []),
    ];
  });
  const head = ['pair', 'peer access', 'p2p verdict', 'legend', 'nvidia-smi', 'legend check', ...(r.bandwidth ? ['peer / staged GB/s'] : [])];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  io.out('\n  ' + head.map((h, i) => h.padEnd(w[i])).join('  ').trimEnd() + '\n');
  for (const x of rows) io.out('  ' + x.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd() + '\n');
  if (!rows.length) io.out('  (one GPU: no pairs)\n');
  if (r.legendMismatches) io.err(`${r.legendMismatches} pair(s) where our legend differs from nvidia-smi's\n`);
}

/** Exit code: 1 when a legend differs from nvidia-smi's, else 0. */
export async function runGpus(opts: GpusOptions, io: CommandIO): Promise<number> {
  const r = await gpusReport(opts);
  if (opts.json) io.out(JSON.stringify(r, null, 2) + '\n');
  else renderGpusText(r, io);
  return r.legendMismatches ? 1 : 0;
}
