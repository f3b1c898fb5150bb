// The booting suite: every fabric in test/lab/specs under QEMU, the real kernel's P2PDMA answers
// against the specs (which pin the table the real kernel gave, docs/lab.md), and p2p's own answers
// against the kernel and lspci. Opt-in: P2P_LAB=1 (it takes minutes); otherwise every test is
// skipped with the reason. P2P_LAB_RESULTS=DIR checks results an earlier `npm run lab` left in DIR.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { benchVerified, devmemVsKernel, doctorStatus, kernelVsSpec, matrixVsKernel, topoIdsVsLspci, topoVsLspci, type Comparison } from './compare.js';
import { repoRoot } from './kernel.js';
import { DEFAULT_JOBS, loadSpecs, prerequisites } from './run.js';
import { fnv1a64, p2pCommands, runAll, timeoutFromEnv, type LabResult } from './runner.js';
import { drivesOf, type LabSpec } from './spec.js';

const root = repoRoot();
const specs: LabSpec[] = loadSpecs(root).map((s) => s.spec);
const resultsDir = process.env.P2P_LAB_RESULTS ? resolve(process.env.P2P_LAB_RESULTS) : null;
const jobs = Number(process.env.P2P_LAB_JOBS ?? DEFAULT_JOBS);
/** The whole suite's bound: every QEMU is killed by its own timeout well before this. */
const SUITE_TIMEOUT_MS = 20 * 60 * 1000;

function skipReason(): string | null {
  if (resultsDir) return existsSync(resultsDir) ? null : `P2P_LAB_RESULTS=${resultsDir} does not exist`;
  if (process.env.P2P_LAB !== '1') return 'booting lab not requested: set P2P_LAB=1 to boot the QEMU fabrics (several minutes; see docs/lab.md)';
  const pre = prerequisites(root);
  return 'missing' in pre ? `lab cannot run: ${pre.missing}` : null;
}
const skip = skipReason();

const results = new Map<string, LabResult>();

function result(name: string): LabResult {
  const r = results.get(name);
  assert.ok(r, `no result for fabric ${name}`);
  return r;
}

function requireOk(r: LabResult): void {
  assert.equal(r.status, 'ok', `${r.fabric}: ${r.message}\n${r.qemu.consoleTail}`);
}

/** Pass when every check agrees, skip with the reason when the p2p command is not there yet. */
function assertComparison(t: { skip: (m?: string) => void }, c: Comparison): void {
  if (!c.available) return t.skip(c.reason);
  const bad = c.checks.filter((x) => !x.ok);
  assert.deepEqual(bad, [], bad.map((b) => `${b.pair}: expected ${b.expected}, got ${b.actual} (${b.detail})`).join('\n'));
}

// Skipped as one visible test with the reason, never silently passed.
if (skip) test('P2P lab: emulated PCIe fabrics under the real kernel', (t) => t.skip(skip));
else describe('P2P lab: emulated PCIe fabrics under the real kernel', { timeout: SUITE_TIMEOUT_MS }, () => {
  before(async () => {
    if (resultsDir) {
      for (const s of specs) {
        const f = join(resultsDir, `${s.name}.json`);
        if (existsSync(f)) results.set(s.name, JSON.parse(readFileSync(f, 'utf8')) as LabResult);
      }
      return;
    }
    const pre = prerequisites(root);
    if ('missing' in pre) throw new Error(pre.missing);
    const outDir = resolve(process.env.P2P_LAB_OUT ?? join(root, 'test', 'lab', 'out'));
    mkdirSync(outDir, { recursive: true });
    const t0 = Date.now();
    const log = process.env.P2P_LAB_QUIET ? undefined : (l: string) => process.stderr.write(`lab: ${l}\n`);
    const all = await runAll(specs, { ...pre, outDir, commands: p2pCommands(root), timeoutSec: timeoutFromEnv(), log }, jobs);
    for (const r of all) results.set(r.fabric, r);
    process.stderr.write(`lab: ${all.length} fabrics in ${((Date.now() - t0) / 1000).toFixed(0)}s, ${jobs} at a time; results in ${outDir}\n`);
  }, { timeout: SUITE_TIMEOUT_MS });

  for (const spec of specs) {
    describe(spec.name, () => {
      test('guest booted, ran every step and powered off in time', () => {
        requireOk(result(spec.name));
      });

      test('the guest saw the drives, CMBs and CPU the spec asked for', () => {
        const r = result(spec.name);
        requireOk(r);
        const drives = new Map(r.guest.drives.map((d) => [d.serial, d]));
        for (const e of spec.expect) {
          assert.ok(drives.has(e.client), `drive ${e.client} missing in the guest`);
          const p = drives.get(e.provider);
          assert.ok(p?.p2pmem, `drive ${e.provider} publishes no p2pmem`);
          assert.equal(p.p2pmem.published, true);
        }
        const vendor = { intel: 'GenuineIntel', amd: 'AuthenticAMD', qemu64: 'AuthenticAMD' }[spec.cpu];
        assert.equal(r.guest.cpuVendor, vendor);
        if (spec.cpu === 'amd') assert.ok((r.guest.cpuFamily ?? 0) >= 0x17, `EPYC family ${r.guest.cpuFamily}`);
        assert.equal(/intel_iommu=on/.test(r.guest.cmdline ?? ''), spec.iommu);
      });

      for (const e of spec.expect) {
        test(`kernel: ${e.client} reading into ${e.provider}'s p2pmem -> ${e.kernel}${e.why ? ` (${e.why})` : ''}`, () => {
          const r = result(spec.name);
          requireOk(r);
          const check = kernelVsSpec(r, spec).find((c) => c.pair === `${e.client}->${e.provider}`)!;
          assert.equal(check.actual, check.expected, check.detail);
          const o = r.guest.oracle.find((x) => x.client === e.client && x.provider === e.provider)!;
          // The host-memory read must return the backing file's bytes, or nothing here means anything.
          assert.equal(o.hostDataVerified, true, 'host-memory read did not return the drive pattern');
          if (e.kernel === 'ok') assert.equal(o.p2pFnv, o.hostFnv);
          if (e.kernel === 'EREMOTEIO') {
            assert.ok(o.dmesg.some((l) => /cannot be used for peer-to-peer DMA/.test(l)), `no p2pdma refusal in dmesg:\n${o.dmesg.join('\n')}`);
          }
          if (e.kernel === 'mismatch') {
            // Success code, and p2pmem still holds the oracle's poison (0xA5): the DMA went elsewhere.
            assert.equal(o.p2pRead?.ret, r.spec.readBytes);
            assert.equal(o.p2pRead?.errno, 0);
            assert.equal(o.p2pFnv, fnv1a64(Buffer.alloc(r.spec.readBytes, 0xa5)), 'p2pmem changed, but not to the drive\'s bytes');
          }
        });
      }

      if (spec.expect.some((e) => e.kernel === 'mismatch')) {
        test('the wrong bytes come with IOMMU (DMAR) faults in the kernel log', () => {
          const r = result(spec.name);
          requireOk(r);
          // The kernel rate-limits DMAR reports (10 per 5 s), so later pairs may log none: ask the whole run.
          const lines = r.guest.oracle.flatMap((o) => o.dmesg).concat((r.guest.dmesg ?? '').split('\n'));
          assert.ok(lines.some((l) => /DMAR: \[DMA Write/.test(l)), 'no DMAR write fault logged');
        });
      }

      test('p2p matrix: our P2PDMA verdict for every pair equals the kernel\'s', (t) => {
        const r = result(spec.name);
        requireOk(r);
        assertComparison(t, matrixVsKernel(r));
      });

      test('p2p topo: our tree equals lspci -tv inside the guest', (t) => {
        const r = result(spec.name);
        requireOk(r);
        assertComparison(t, topoVsLspci(r));
      });

      test('p2p topo: every function\'s class and vendor:device equal lspci -nD inside the guest', (t) => {
        const r = result(spec.name);
        requireOk(r);
        assertComparison(t, topoIdsVsLspci(r));
      });

      if (drivesOf(spec).some((d) => (d.vfs ?? 0) > 0)) {
        test('the guest enabled the SR-IOV VFs the spec asked for, and p2p topo shows them beside their PF', () => {
          const r = result(spec.name);
          requireOk(r);
          const lines = (r.guest.sriov ?? '').trim().split('\n').filter(Boolean);
          assert.ok(lines.length > 0 && lines.every((l) => l.endsWith(' ok')), `sriov.txt: ${r.guest.sriov}`);
          const devices = (r.guest.commands.topo?.json as { devices?: { bdf: string; parent: string | null }[] } | undefined)?.devices ?? [];
          for (const l of lines) {
            const [pf, total] = l.split(' ');
            const pfDev = devices.find((d) => d.bdf === pf);
            assert.ok(pfDev, `PF ${pf} in p2p topo`);
            const vfs = devices.filter((d) => d.bdf !== pf && d.parent === pfDev.parent && d.bdf.slice(0, 7) === pf.slice(0, 7));
            assert.equal(vfs.length, Number(total), `${total} VFs beside ${pf}: ${vfs.map((d) => d.bdf).join(' ')}`);
          }
        });
      }

      test('p2p bench: bytes moved through the direct path verify', (t) => {
        const r = result(spec.name);
        requireOk(r);
        assertComparison(t, benchVerified(r));
      });

      if (spec.nvdimm || spec.cxl || spec.rdma || spec.udmabuf) {
        test('device memory: every mechanism the kernel showed (ls /dev, daxctl, rdma link, /sys/bus/cxl, bufinfo, /proc/iomem) is in p2p doctor and topo', (t) => {
          const r = result(spec.name);
          requireOk(r);
          assert.match(r.guest.devmem.ndctl ?? 'no ndctl run', spec.nvdimm ? /"dev":\s*"namespace\d+\.0"/ : /./, 'ndctl create-namespace');
          assertComparison(t, devmemVsKernel(r));
        });
      }

      for (const [id, want] of Object.entries(spec.expectDoctor ?? {})) {
        test(`p2p doctor reports ${id}: ${want}`, (t) => {
          const r = result(spec.name);
          requireOk(r);
          const d = doctorStatus(r, id);
          if (!d.available) return t.skip(d.reason);
          assert.equal(d.status, want, `p2p doctor --json, finding ${id}: ${d.text.slice(0, 500)}`);
        });
      }
    });
  }
});
