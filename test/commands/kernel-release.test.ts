// The kernel release comes from the source (osrelease in a captured tree), --kernel overrides it,
// and matrix/path/doctor name the release and what a newer one changes: the two trees.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runMatrix } from '../../src/commands/matrix.js';
import { runPath } from '../../src/commands/path.js';
import { runDoctor } from '../../src/commands/doctor.js';
import { UserError } from '../../src/errors.js';
import { collectIO } from '../helpers/collect-io.js';
import { buildRoot, type RootDevice, type RootSpec } from '../helpers/doctor-fixtures.js';

/** Two NVMe under root ports of two host bridges whose first devices are Intel QAT 8086:4940. */
function qatTree(kernelRelease: string): string {
  const gen4 = { speed: 16, width: 4, maxSpeed: 16, maxWidth: 4 };
  const qat = (bdf: string): RootDevice => ({ bdf, parent: null, cfg: { vendor: 0x8086, device: 0x4940, classCode: 0x0b4000, express: { type: 'endpoint', mps: 256, mpsSupported: 256, mrrs: 512, link: gen4 } } });
  const port = (bdf: string, bus: number): RootDevice => ({
    bdf, parent: null, driver: 'pcieport',
    cfg: { vendor: 0x8086, device: 0x352a, classCode: 0x060400, buses: [bus - 1, bus, bus], express: { type: 'root-port', mps: 256, mpsSupported: 256, mrrs: 512, link: gen4 } },
  });
  const nvme = (bdf: string, parent: string, name: string): RootDevice => ({
    bdf, parent, driver: 'nvme', names: [{ cls: 'nvme', name }],
    cfg: { vendor: 0x144d, device: 0xa80a, classCode: 0x010802, express: { type: 'endpoint', mps: 256, mpsSupported: 256, mrrs: 512, link: gen4 } },
  });
  const spec: RootSpec = {
    devices: [qat('0000:00:00.0'), port('0000:00:01.0', 1), nvme('0000:01:00.0', '0000:00:01.0', 'nvme0'),
      qat('0000:80:00.0'), port('0000:80:01.0', 0x81), nvme('0000:81:00.0', '0000:80:01.0', 'nvme1')],
    cpu: { vendor: 'GenuineIntel', family: 6 },
    kernelRelease,
  };
  return buildRoot(spec);
}

async function matrixJson(opts: Parameters<typeof runMatrix>[0]) {
  const io = collectIO();
  await runMatrix({ ...opts, json: true }, io);
  return JSON.parse(io.text());
}

const pairOf = (j: { pairs: { client: string; provider: string }[] }, a: string, b: string) =>
  j.pairs.find((p) => p.client === a && p.provider === b) as unknown as { p2pdma: { mapType: string; reasons: string[]; kernel: { release: string; rules: string }; newer: { from: string } | null; fixes: { kind: string }[] } };

describe('kernel release from the source', () => {
  it('a 6.8.0-45-generic tree: QAT-headed host bridges are NOT_SUPPORTED on 6.8, THRU_HOST_BRIDGE from 7.2', async () => {
    const root = qatTree('6.8.0-45-generic');
    const j = await matrixJson({ root });
    assert.deepEqual(j.kernel, { release: '6.8.0-45-generic', rules: '6.8' });
    const p = pairOf(j, '0000:01:00.0', '0000:81:00.0');
    assert.equal(p.p2pdma.mapType, 'NOT_SUPPORTED');
    assert.ok(p.p2pdma.reasons.includes('NOT_SUPPORTED on 6.8; THRU_HOST_BRIDGE from 7.2 (0ba76b19fd4c)'));
    assert.equal(p.p2pdma.newer?.from, '7.2');
    assert.ok(p.p2pdma.fixes.some((f) => f.kind === 'kernel-upgrade'));

    const text = collectIO();
    await runMatrix({ root }, text);
    assert.match(text.text(), /Kernel: 6\.8\.0-45-generic \(rules of upstream 6\.8\)/);
    assert.match(text.text(), /NOT_SUPPORTED on 6\.8; THRU_HOST_BRIDGE from 7\.2 \(0ba76b19fd4c\)/);

    const path = collectIO();
    await runPath({ root, a: 'nvme0', b: 'nvme1' }, path);
    assert.match(path.text(), /kernel: 6\.8\.0-45-generic \(Ubuntu; rules of upstream 6\.8\)/);
    assert.match(path.text(), /NOT_SUPPORTED on 6\.8; THRU_HOST_BRIDGE from 7\.2 \(0ba76b19fd4c\)/);
    assert.match(path.text(), /fix: run Linux 7\.2 or later/);

    const doc = collectIO();
    await runDoctor({ root, json: true, only: 'kernel.newer-rules' }, doc);
    const f = JSON.parse(doc.text()).findings[0];
    assert.equal(f.status, 'warn');
    assert.match(f.evidence.join('\n'), /NOT_SUPPORTED on 6\.8; THRU_HOST_BRIDGE from 7\.2 \(0ba76b19fd4c\)/);
  });

  it('--kernel overrides the source: 7.2 allows the pair, latest too; a bad value is one UserError', async () => {
    const root = qatTree('6.8.0-45-generic');
    for (const kernel of ['7.2', 'latest']) {
      const j = await matrixJson({ root, kernel });
      assert.equal(pairOf(j, '0000:01:00.0', '0000:81:00.0').p2pdma.mapType, 'THRU_HOST_BRIDGE', kernel);
      assert.equal(j.kernel.release, kernel === 'latest' ? '7.3' : kernel, 'latest is the newest release in the table');
    }
    await assert.rejects(runMatrix({ root, kernel: 'banana' }, collectIO()), (e: unknown) => e instanceof UserError && /--kernel 'banana'/.test((e as Error).message));
  });

  it('a 4.19 tree: no P2PDMA at all, whatever the fabric', async () => {
    const j = await matrixJson({ root: qatTree('4.19') });
    const p = pairOf(j, '0000:01:00.0', '0000:81:00.0');
    assert.equal(p.p2pdma.mapType, 'NOT_SUPPORTED');
    assert.ok(p.p2pdma.reasons.some((r) => /Linux 4\.19 has no P2PDMA/.test(r)));
    const self = pairOf(j, '0000:01:00.0', '0000:01:00.0');
    assert.equal(self.p2pdma.mapType, 'NOT_SUPPORTED', 'not even a device with its own memory');
  });

  it('proc/version stands in when osrelease is absent', async () => {
    const fs = await import('node:fs');
    const root = qatTree('7.2.3');
    fs.rmSync(`${root}/proc/sys/kernel/osrelease`);
    fs.writeFileSync(`${root}/proc/version`, 'Linux version 5.14.0-427.el9.x86_64 (mockbuild@x) (gcc 11) #1 SMP\n');
    const j = await matrixJson({ root });
    assert.deepEqual(j.kernel, { release: '5.14.0-427.el9.x86_64', rules: '5.14' });
    const p = pairOf(j, '0000:01:00.0', '0000:81:00.0') as unknown as { p2pdma: { reasons: string[]; kernel: { mayDiffer: boolean } } };
    assert.equal(p.p2pdma.kernel.mayDiffer, true);
    assert.ok(p.p2pdma.reasons.some((r) => /RHEL kernels carry backported P2PDMA changes/.test(r)));
  });
});
