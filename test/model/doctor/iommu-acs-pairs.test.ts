// IOMMU translation, ACS redirect and the pair verdicts, on the lab's q35 shapes (test/helpers/p2p-fabric.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctorChecks } from '../../../src/model/doctor/index.js';
import type { Finding } from '../../../src/model/doctor/types.js';
import type { Fabric } from '../../../src/model/types.js';
import { AMD_ZEN1_HOST, INTEL_HOST, IOMMU_ACS, labFabric, makeFabric } from '../../helpers/p2p-fabric.js';
import { input } from '../../helpers/doctor-fixtures.js';

function run(id: string, fabric: Fabric): Finding {
  return runDoctorChecks(input(fabric), { only: [id] }).findings[0];
}

const groupsAll = (t: string) => new Map(['0', '1', '2', '3'].map((g) => [g, t]));

test('iommu.translation: off ok, identity ok, DMA warns and names the BUS_ADDR pairs at risk, unknown skips', () => {
  assert.equal(run('iommu.translation', labFabric()).status, 'ok');
  const ident = run('iommu.translation', labFabric({ host: { ...INTEL_HOST, iommuEnabled: true, iommuGroupTypes: groupsAll('identity') } }));
  assert.equal(ident.status, 'ok');
  assert.match(ident.evidence.join('\n'), /identity/);
  const dma = run('iommu.translation', labFabric({ host: { ...INTEL_HOST, iommuEnabled: true, iommuGroupTypes: groupsAll('DMA-FQ'), cmdline: 'intel_iommu=on' } }));
  assert.equal(dma.status, 'warn');
  const text = dma.evidence.join('\n');
  assert.match(text, /DMA-FQ/);
  assert.match(text, /BUS_ADDR pair\(s\) under translation.*nvme1 ↔ nvme0|BUS_ADDR pair\(s\) under translation.*0000:04:00\.0/);
  assert.match(dma.fix!.join('\n'), /iommu=pt/);
  assert.ok(dma.devices.includes('0000:03:00.0'));
  const noTypes = run('iommu.translation', labFabric({ host: { ...INTEL_HOST, iommuEnabled: true, iommuGroupTypes: null } }));
  assert.equal(noTypes.status, 'warn', 'an active IOMMU with unknown domain types is not ok');
  assert.equal(run('iommu.translation', labFabric({ host: { ...INTEL_HOST, iommuEnabled: null } })).status, 'skip');
});

test('acs.redirect: clear ok; redirect at a switch port warns with the exact parameter; 64-byte config skips', () => {
  // One switch whose downstream ports have ACS: the kernel's pairs below it depend on them.
  const specs = (acs: Parameters<typeof makeFabric>[0][number]['acs'], configBytes?: number) => makeFabric([
    { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '29c0' },
    { bdf: '0000:00:01.0', kind: 'root-port', configBytes },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream', configBytes },
    { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', acs, configBytes },
    { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream', acs, configBytes },
    { bdf: '0000:03:00.0', parent: '0000:02:00.0', kind: 'gpu', vendorId: '10de', names: ['gpu0'], configBytes },
    { bdf: '0000:04:00.0', parent: '0000:02:01.0', kind: 'nvme', names: ['nvme0'], p2pmem: { size: 1 << 26, published: true }, configBytes },
  ]);
  assert.equal(run('acs.redirect', specs([])).status, 'ok');
  const red = run('acs.redirect', specs(['SrcValid', 'ReqRedir', 'CmpltRedir']));
  assert.equal(red.status, 'warn');
  assert.match(red.evidence.join('\n'), /0000:02:00\.0.*ReqRedir\+ CmpltRedir\+/);
  assert.ok(red.fix!.some((f) => f.includes('pci=disable_acs_redir=0000:02:00.0;0000:02:01.0')), red.fix!.join('\n'));
  assert.ok(red.fix!.some((f) => f.includes('pci=config_acs=')));
  assert.ok(red.fix!.some((f) => /isolation|IOMMU groups/.test(f)), 'states the trade-off');
  assert.ok(red.devices.includes('0000:02:01.0'));
  const blind = run('acs.redirect', specs(['ReqRedir'], 64));
  assert.equal(blind.status, 'skip', 'unknown ACS is never ok');
  assert.match(blind.evidence.join('\n'), /bytes/);
  const single = makeFabric([{ bdf: '0000:00:01.0', kind: 'root-port' }, { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'gpu' }]);
  assert.equal(run('acs.redirect', single).status, 'skip');
});

test('p2p.pairs: one switch BUS_ADDR ok; Intel cross-root-port NOT_SUPPORTED fails with the host-bridge reason; AMD Zen warns', () => {
  const oneSwitch = labFabric();
  // Keep only the two drives under the switch.
  for (const b of ['0000:05:00.0', '0000:06:00.0', '0000:06:00.1']) oneSwitch.byBdf.get(b)!.kind = 'endpoint';
  const ok = run('p2p.pairs', oneSwitch);
  assert.equal(ok.status, 'ok', ok.evidence.join('\n'));
  assert.match(ok.evidence[0], /1 BUS_ADDR/);

  const intel = run('p2p.pairs', labFabric());
  assert.equal(intel.status, 'fail');
  const line = intel.evidence.find((e) => e.startsWith('NOT_SUPPORTED') && e.includes('0000:05:00.0') && e.includes('0000:03:00.0'));
  assert.ok(line, intel.evidence.join('\n'));
  assert.match(line!, /no common upstream bridge/);
  assert.match(line!, /host bridge pci0000:00: 0000:00:00\.0 \[8086:29c0\] is not in the allow-list/);
  assert.match(line!, /p2p path 0000:05:00\.0 0000:03:00\.0/);
  assert.ok(intel.devices.includes('0000:05:00.0'));

  const amd = run('p2p.pairs', labFabric({ host: AMD_ZEN1_HOST }));
  assert.equal(amd.status, 'warn', 'the lab read across root ports worked with -cpu EPYC: THRU_HOST_BRIDGE, not refused');
  assert.match(amd.evidence[0], /0 NOT_SUPPORTED/);

  const iommuAcs = run('p2p.pairs', labFabric({ rootPortAcs: IOMMU_ACS }));
  assert.equal(iommuAcs.status, 'fail', 'ACS at root ports does not rescue the Intel cross-port pairs');

  const blind = run('p2p.pairs', labFabric({ configBytes: 64, host: { ...INTEL_HOST, isRoot: false } }));
  assert.notEqual(blind.status, 'ok');
});
