// Kernel checks: version, CONFIG_PCI_P2PDMA, command line, kernel log — each made to pass, warn, fail and skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctorChecks } from '../../../src/model/doctor/index.js';
import { acsDeviceSpecs, parseCmdline, splitCmdline } from '../../../src/model/doctor/checks-kernel.js';
import type { Finding } from '../../../src/model/doctor/types.js';
import { labFabric, makeHost, INTEL_HOST } from '../../helpers/p2p-fabric.js';
import { input, known, unknown } from '../../helpers/doctor-fixtures.js';
import type { HostInfo } from '../../../src/access/types.js';

function check(id: string, host: Partial<HostInfo>, env: Parameters<typeof input>[1] = {}, fabric = labFabric()): Finding {
  fabric.host = makeHost({ ...INTEL_HOST, ...host });
  const r = runDoctorChecks(input(fabric, env), { only: [id] });
  assert.equal(r.findings.length, 1);
  return r.findings[0];
}

test('kernel.version: 6.2+ ok, 5.x warn (no userspace p2pmem), pre-4.20 fail, unknown skip', () => {
  assert.equal(check('kernel.version', { kernelRelease: '6.12.117-amd64' }).status, 'ok');
  const old = check('kernel.version', { kernelRelease: '5.15.0-91-generic' });
  assert.equal(old.status, 'warn');
  assert.match(old.evidence.join('\n'), /6\.2/);
  assert.equal(check('kernel.version', { kernelRelease: '4.19.0' }).status, 'fail');
  assert.equal(check('kernel.version', { kernelRelease: '6.1.0' }).status, 'warn');
  const sk = check('kernel.version', { kernelRelease: null });
  assert.equal(sk.status, 'skip');
  assert.match(sk.evidence[0], /unknown/);
});

test('kernel.p2pdma: =y ok, p2pmem dirs prove it, "not set" fails with the Debian note, no config skips', () => {
  const y = new Map([['CONFIG_PCI_P2PDMA', 'y']]);
  assert.equal(check('kernel.p2pdma', { kernelConfig: y }).status, 'ok');
  const n = check('kernel.p2pdma', { kernelConfig: new Map([['CONFIG_PCI_P2PDMA', 'n']]) }, {}, labFabric());
  // labFabric has a p2pmem provider: sysfs proves the option whatever a stale config says.
  assert.equal(n.status, 'ok');
  assert.match(n.evidence[0], /p2pmem directory/);
  const noProv = labFabric();
  for (const d of noProv.devices) d.p2pmem = null;
  const off = check('kernel.p2pdma', { kernelConfig: new Map([['CONFIG_PCI_P2PDMA', 'n']]) }, {}, noProv);
  assert.equal(off.status, 'fail');
  assert.match(off.evidence.join('\n'), /Debian/);
  assert.equal(check('kernel.p2pdma', { kernelConfig: new Map([['CONFIG_PCI', 'y']]) }, {}, noProv).status, 'fail', 'absent from a real config = not built');
  const sk = check('kernel.p2pdma', { kernelConfig: null }, {}, noProv);
  assert.equal(sk.status, 'skip');
  assert.match(sk.evidence[0], /config/);
});

test('cmdline parsing: quotes, pci= options, ACS device specs', () => {
  assert.deepEqual(splitCmdline('ro "pci=disable_acs_redir=0000:00:01.0;0000:00:02.0" quiet'), ['ro', 'pci=disable_acs_redir=0000:00:01.0;0000:00:02.0', 'quiet']);
  const c = parseCmdline('BOOT_IMAGE=/vmlinuz intel_iommu=on iommu=pt pci=noats,config_acs=x0x00xx@0000:00:01.0 root=/dev/sda');
  assert.equal(c.params.get('intel_iommu'), 'on');
  assert.equal(c.params.get('iommu'), 'pt');
  assert.deepEqual(c.pciOptions, ['noats', 'config_acs=x0x00xx@0000:00:01.0']);
  assert.deepEqual(acsDeviceSpecs('config_acs=x0x00xx@0000:00:01.0;101xxxx@pci:10de:1db6'), ['0000:00:01.0', 'pci:10de:1db6']);
});

test('kernel.cmdline: defaults ok; ACS parameter naming a device not present warns; config_acs before 6.11 warns; unknown skips', () => {
  const plain = check('kernel.cmdline', { cmdline: 'ro quiet', kernelRelease: '6.12.1' });
  assert.equal(plain.status, 'ok');
  const good = check('kernel.cmdline', { cmdline: 'ro "pci=disable_acs_redir=0000:00:01.0;00:02.0"', kernelRelease: '6.12.1' });
  assert.equal(good.status, 'ok', good.evidence.join('\n'));
  assert.deepEqual(good.devices.sort(), ['0000:00:01.0', '0000:00:02.0']);
  const typo = check('kernel.cmdline', { cmdline: 'pci=disable_acs_redir=0000:00:09.0', kernelRelease: '6.12.1' });
  assert.equal(typo.status, 'warn');
  assert.match(typo.evidence.join('\n'), /0000:00:09\.0.*not in this fabric/);
  const early = check('kernel.cmdline', { cmdline: 'pci=config_acs=x0x00xx@0000:00:01.0', kernelRelease: '6.6.30' });
  assert.equal(early.status, 'warn');
  assert.match(early.evidence.join('\n'), /6\.11/);
  assert.equal(check('kernel.cmdline', { cmdline: 'pci=nommconf', kernelRelease: '6.12.1' }).status, 'warn');
  assert.equal(check('kernel.cmdline', { cmdline: 'pcie_acs_override=downstream,multifunction', kernelRelease: '6.12.1' }).status, 'warn');
  assert.equal(check('kernel.cmdline', { cmdline: null }).status, 'skip');
});

test('kernel.dmesg: clean ok, corrected AER warn, refusals and DMAR faults fail, unreadable skip with the reason', () => {
  const clean = check('kernel.dmesg', {}, { dmesg: known('[    0.000000] Linux version 6.12\n[    1.0] nvme nvme0: 4/0/0 default/read/poll queues\n', 'test') });
  assert.equal(clean.status, 'ok');
  const corr = check('kernel.dmesg', {}, { dmesg: known('pcieport 0000:00:01.0: AER: Corrected error received: 0000:03:00.0\n', 'test') });
  assert.equal(corr.status, 'warn');
  assert.ok(corr.devices.includes('0000:03:00.0'));
  const refused = check('kernel.dmesg', {}, {
    dmesg: known('nvme 0000:05:00.0: cannot be used for peer-to-peer DMA as the client and provider (0000:03:00.0) do not share an upstream bridge or whitelisted host bridge\n', 'test'),
  });
  assert.equal(refused.status, 'fail');
  assert.ok(refused.devices.includes('0000:05:00.0'));
  const dmar = check('kernel.dmesg', {}, { dmesg: known('DMAR: [DMA Write NO_PASID] Request device [03:00.0] fault addr 0xfe000000 [fault reason 0x05] PTE Write access is not set\n', 'test') });
  assert.equal(dmar.status, 'fail');
  const sk = check('kernel.dmesg', {}, { dmesg: unknown('kernel.dmesg_restrict=1') });
  assert.equal(sk.status, 'skip');
  assert.deepEqual(sk.evidence, ['kernel.dmesg_restrict=1']);
});
