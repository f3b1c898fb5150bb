// A small DGX-like fabric for the TUI tests: two host bridges, a switch with two GPUs, an NVMe and an
// empty port, a NIC on a downtrained link, ACS redirect on one root port, a p2pmem provider.
import { makeFabric, type DevSpec } from '../helpers/p2p-fabric.js';
import type { Fabric } from '../../src/model/types.js';
import { buildModel, type UiModel } from '../../src/ui/model.js';
import { initialState, type UiState } from '../../src/ui/state.js';
import type { DoctorView } from '../../src/ui/doctor.js';

const g4x16 = { speed: 16, width: 16, maxSpeed: 16, maxWidth: 16 };

export function fixtureFabric(): Fabric {
  const specs: DevSpec[] = [
    { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '09a2', deviceName: 'Ice Lake Memory Map' },
    { bdf: '0000:00:01.0', kind: 'root-port', link: g4x16, mps: 256, numaNode: 0, deviceName: 'Ice Lake PCIe Root Port' },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream', link: g4x16, mps: 256, numaNode: 0, deviceName: 'PEX 88096 switch' },
    { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', link: g4x16, numaNode: 0 },
    { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream', link: g4x16, numaNode: 0 },
    { bdf: '0000:02:02.0', parent: '0000:01:00.0', kind: 'switch-downstream', link: { speed: 8, width: 4, maxSpeed: 16, maxWidth: 4 }, numaNode: 0 },
    { bdf: '0000:02:03.0', parent: '0000:01:00.0', kind: 'switch-downstream', numaNode: 0 },
    { bdf: '0000:03:00.0', parent: '0000:02:00.0', kind: 'gpu', alias: 'gpu0', vendorId: '10de', deviceId: '20b0', deviceName: 'GA100 [A100 SXM4 40GB]', link: g4x16, mps: 256, numaNode: 0, iommuGroup: '10' },
    { bdf: '0000:04:00.0', parent: '0000:02:01.0', kind: 'gpu', alias: 'gpu1', vendorId: '10de', deviceId: '20b0', deviceName: 'GA100 [A100 SXM4 40GB]', link: g4x16, mps: 256, numaNode: 0, iommuGroup: '11' },
    { bdf: '0000:05:00.0', parent: '0000:02:02.0', kind: 'nvme', alias: 'nvme0', names: ['nvme0'], vendorId: '144d', deviceId: 'a80a', deviceName: 'NVMe SSD Controller PM9A3', link: { speed: 8, width: 4, maxSpeed: 16, maxWidth: 4 }, mps: 256, numaNode: 0, p2pmem: { size: 1 << 26, published: true } },
    { bdf: '0000:00:02.0', kind: 'root-port', link: { speed: 8, width: 8, maxSpeed: 16, maxWidth: 16 }, mps: 256, numaNode: 0, acs: ['SrcValid', 'ReqRedir', 'CmpltRedir', 'UpstreamFwd'] },
    { bdf: '0000:06:00.0', parent: '0000:00:02.0', kind: 'nic', alias: 'nic0', names: ['mlx5_0', 'ens1f0'], vendorId: '15b3', deviceId: '101b', deviceName: 'MT28908 Family [ConnectX-6]', link: { speed: 8, width: 8, maxSpeed: 16, maxWidth: 16 }, mps: 256, numaNode: 0 },
    { bdf: '0000:80:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '09a2', deviceName: 'Ice Lake Memory Map', numaNode: 1 },
    { bdf: '0000:80:01.0', kind: 'root-port', link: g4x16, mps: 256, numaNode: 1 },
    { bdf: '0000:81:00.0', parent: '0000:80:01.0', kind: 'gpu', alias: 'gpu2', vendorId: '10de', deviceId: '20b0', deviceName: 'GA100 [A100 SXM4 40GB]', link: g4x16, mps: 256, numaNode: 1 },
    { bdf: '0000:80:02.0', kind: 'root-port', link: g4x16, mps: 256, numaNode: 1 },
    { bdf: '0000:82:00.0', parent: '0000:80:02.0', kind: 'nvme', alias: 'nvme1', names: ['nvme1'], vendorId: '144d', deviceId: 'a80a', deviceName: 'NVMe SSD Controller PM9A3', link: { speed: 16, width: 4, maxSpeed: 16, maxWidth: 4 }, mps: 256, numaNode: 1 },
  ];
  return makeFabric(specs, { cpuVendor: 'GenuineIntel', cpuFamily: 6, numaNodes: [0, 1], iommuEnabled: true, isRoot: true });
}

export const FIXTURE_DOCTOR: DoctorView = {
  available: true,
  note: null,
  findings: [
    { id: 'link.downgrade', title: 'PCIe links run below their capability', status: 'warn', evidence: ['0000:06:00.0 runs 8GT/s x8 of 16GT/s x16'], fix: 'reseat the card', devices: ['0000:06:00.0'] },
    { id: 'kernel.p2pdma', title: 'CONFIG_PCI_P2PDMA is on', status: 'ok', evidence: ['config: y'], fix: null, devices: [] },
    { id: 'acs.redirect', title: 'ACS redirect forces peer traffic through the root complex', status: 'fail', evidence: ['0000:00:02.0 ReqRedir+ CmpltRedir+'], fix: 'pci=disable_acs_redir=0000:00:02.0', devices: ['0000:00:02.0', '0000:06:00.0'] },
    { id: 'priv.root', title: 'Config space beyond 64 bytes', status: 'skip', evidence: ['not root'], fix: null, devices: [] },
  ],
};

/** Details without describeDevice: a few lines per device, with headings, so the tests control them. */
export function fixtureModel(fabric = fixtureFabric()): UiModel {
  return buildModel(fabric, {
    details: (d) => [
      { text: `${d.bdf} ${d.alias ?? ''}`, heading: true },
      ...Array.from({ length: 20 }, (_, i) => ({ text: `  Identity line ${i}`, heading: false })),
      { text: 'Link', heading: true },
      ...Array.from({ length: 20 }, (_, i) => ({ text: `  Link line ${i}`, heading: false })),
      { text: 'ACS', heading: true },
      { text: '  SrcValid enabled', heading: false },
    ],
    doctor: () => FIXTURE_DOCTOR,
  });
}

export function fixtureState(model: UiModel, columns = 80, rows = 24, extra: Partial<Parameters<typeof initialState>[1]> = {}): UiState {
  return initialState(model, { columns, rows, ...extra });
}
