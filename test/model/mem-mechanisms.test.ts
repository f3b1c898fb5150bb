// Reads the devmem fixture tree through the access layer and decodes it: nodes, PCI parents, numbers.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readMemMechanisms } from '../../src/access/mem-mechanisms.js';
import { decodeMemMechanisms } from '../../src/model/mem-mechanisms.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../../test/fixtures/devmem/lab-v2');

test('device-DAX, RDMA, V4L2, DVB and HMM nodes are read with their PCI parents', () => {
  const report = decodeMemMechanisms(readMemMechanisms(root));
  const byNode = new Map(report.mechanisms.map((m) => [m.node, m]));
  assert.deepEqual([...byNode.keys()].sort(), [
    '/dev/dax0.0', '/dev/dvb/adapter0/demux0', '/dev/hmm_dmirror0', '/dev/hmm_dmirror1',
    '/dev/video0', '/dev/video1', 'mlx5_0', 'rxe0',
  ]);
  const dax = byNode.get('/dev/dax0.0')!;
  assert.equal(dax.sizeBytes, 262144000);
  assert.equal(dax.pci, null);
  assert.ok(dax.detail.includes('target node 0'), dax.detail.join('; '));
  assert.equal(byNode.get('mlx5_0')!.pci, '0000:01:00.0');
  assert.deepEqual(byNode.get('rxe0')!.detail, ['netdev veth0']);
  assert.equal(byNode.get('rxe0')!.pci, null);
  assert.equal(byNode.get('/dev/video0')!.pci, '0000:00:03.0');
  assert.equal(byNode.get('/dev/video0')!.kind, 'capture');
  assert.equal(byNode.get('/dev/video1')!.pci, null, 'vivid is a platform device');
  assert.deepEqual(report.vendorModules, { nvidiaPeermem: true, nvidiaFs: false, amdgpu: false });
});

test('a root with none of the mechanisms gives an empty report and unknown modules', () => {
  const report = decodeMemMechanisms(readMemMechanisms(path.join(root, 'no-such-dir')));
  assert.deepEqual(report, { mechanisms: [], vendorModules: null });
});

test('doctor dax./hmm./rdma./capture. findings name the device nodes, with fixes for soft RDMA', async () => {
  const { runDoctorChecks } = await import('../../src/model/doctor/index.js');
  const { known } = await import('../../src/model/doctor/types.js');
  const { input } = await import('../helpers/doctor-fixtures.js');
  const fabric = { devices: [], roots: [] } as never;
  const inp = input(fabric, { memMechanisms: known(readMemMechanisms(root), 'fixture') });
  const findings = runDoctorChecks(inp, { only: ['dax', 'hmm', 'rdma', 'capture'] }).findings;
  const by = new Map(findings.map((f) => [f.id, f]));
  assert.equal(by.get('dax.devices')!.status, 'ok');
  assert.match(by.get('dax.devices')!.evidence.join('\n'), /\/dev\/dax0\.0: size 250/);
  assert.match(by.get('hmm.devices')!.evidence.join('\n'), /\/dev\/hmm_dmirror0/);
  assert.equal(by.get('rdma.devices')!.status, 'warn');
  assert.match(by.get('rdma.devices')!.fix!.join('\n'), /rxe0 is software RDMA/);
  assert.deepEqual(by.get('rdma.devices')!.devices, ['0000:01:00.0']);
  assert.equal(by.get('capture.devices')!.status, 'ok', 'one capture node is a PCI card');
  assert.match(by.get('capture.devices')!.evidence.join('\n'), /\/dev\/video0: Magewell capture, PCI 0000:00:03\.0/);
});

test('a snapshot keeps what the mechanism reader reads: the same devices, PCI parents, attributes and device nodes', async () => {
  const { writeSnapshot } = await import('../../src/access/snapshot-writer.js');
  const { sourceRoot } = await import('../../src/access/snapshot.js');
  const { tempDirRemovedAtExit } = await import('../helpers/temp-dir.js');
  const out = path.join(tempDirRemovedAtExit('p2p-devmem-snap-'), 'snap.tar.gz');
  writeSnapshot(out, { root });
  const direct = readMemMechanisms(root);
  const replay = readMemMechanisms(sourceRoot(out).root);
  assert.ok(direct.dax.length && direct.rdma.length && direct.video.length && direct.hmmNodes.length, 'the fixture has every kind');
  assert.deepEqual(replay, direct);
});
