// Doctor checks for device-memory mechanisms other than P2PDMA: device-DAX, HMM device-private
// memory, RDMA devices and V4L2/DVB capture nodes. Evidence names the device node and, where there
// is one, the PCI function behind it. Pure.
import { decodeMemMechanisms, type MechanismKind, type MemMechanism } from '../mem-mechanisms.js';
import type { CheckDef, DoctorInput, Finding, Status } from './types.js';
import { worst } from './util.js';

type Result = Omit<Finding, 'id' | 'group' | 'title'>;

function withKind(input: DoctorInput, kinds: MechanismKind[], none: string, judge: (ms: MemMechanism[]) => Result): Result {
  const fact = input.env.memMechanisms;
  if (!fact.known) return { status: 'skip', evidence: [`device-memory mechanisms unknown: ${fact.reason}`], devices: [] };
  const ms = decodeMemMechanisms(fact.value).mechanisms.filter((m) => kinds.includes(m.kind));
  if (ms.length === 0) return { status: 'skip', evidence: [none], devices: [] };
  return judge(ms);
}

const where = (m: MemMechanism) => (m.pci ? `PCI ${m.pci}` : 'no PCI device (platform/virtual)');
const devicesOf = (ms: MemMechanism[]) => ms.flatMap((m) => (m.pci ? [m.pci] : []));

export const daxDevicesCheck: CheckDef = {
  id: 'dax.devices',
  group: 'dax',
  title: 'Device-DAX memory',
  describe: 'Device-DAX nodes (/sys/bus/dax): size, alignment and target NUMA node; an empty one cannot be mapped as a DMA target.',
  run: (input) => withKind(input, ['dax'], 'no device-DAX devices (/sys/bus/dax/devices is empty or absent)', (ms) => {
    const empty = ms.filter((m) => m.sizeBytes === 0);
    return {
      status: empty.length ? 'warn' : 'ok',
      evidence: ms.map((m) => `${m.node}: ${[...m.detail, where(m)].join(', ')}`),
      fix: empty.length ? [`${empty.map((m) => m.node).join(', ')} has no capacity: ndctl create-namespace -f -e NAMESPACE -m devdax -a 2M (or daxctl reconfigure-device)`] : undefined,
      devices: devicesOf(ms),
    };
  }),
};

export const hmmDevicesCheck: CheckDef = {
  id: 'hmm.devices',
  group: 'hmm',
  title: 'HMM device-private memory',
  describe: 'HMM device-private memory (the test driver\'s /dev/hmm_dmirror*): the CPU cannot address it and peers cannot DMA into it; pages migrate back on access.',
  run: (input) => withKind(input, ['hmm'], 'no HMM device-private memory nodes (/dev/hmm_dmirror*)', (ms) => ({
    status: 'ok',
    evidence: ms.map((m) => `${m.node}: device-private memory; O_DIRECT or RDMA into it migrates the pages back to system memory first (no peer DMA)`),
    devices: [],
  })),
};

export const rdmaDevicesCheck: CheckDef = {
  id: 'rdma.devices',
  group: 'rdma',
  title: 'RDMA devices',
  describe: 'RDMA devices (/sys/class/infiniband) and their netdevs; software ones (rxe, siw) copy with the CPU, so no NIC reaches peer memory.',
  run: (input) => withKind(input, ['rdma'], 'no RDMA devices (/sys/class/infiniband is empty or absent)', (ms) => {
    const soft = ms.filter((m) => m.pci === null);
    const statuses: Status[] = soft.length ? ['warn'] : ['ok'];
    return {
      status: worst(statuses),
      evidence: ms.map((m) => `${m.node}: ${[...m.detail, m.pci ? `PCI ${m.pci}` : 'software RDMA (no PCI device): memory is copied by the CPU'].join(', ')}`),
      fix: soft.length ? [`${soft.map((m) => m.node).join(', ')} ${soft.length > 1 ? 'are' : 'is'} software RDMA: fine for testing ibv_reg_mr, but GPUDirect RDMA needs a hardware RNIC (its PCI function then appears here)`] : undefined,
      devices: devicesOf(ms),
    };
  }),
};

export const captureDevicesCheck: CheckDef = {
  id: 'capture.devices',
  group: 'capture',
  title: 'V4L2 and DVB capture devices',
  describe: 'V4L2 and DVB nodes and their PCI parents; a capture device with no PCI function (vivid, vidtv, USB) cannot DMA to a peer.',
  run: (input) => withKind(input, ['capture', 'dvb'], 'no V4L2 or DVB devices (/sys/class/video4linux, /sys/class/dvb)', (ms) => {
    const nonPci = ms.filter((m) => m.pci === null);
    return {
      status: nonPci.length === ms.length ? 'warn' : 'ok',
      evidence: ms.map((m) => `${m.node}: ${[...m.detail, where(m)].join(', ')}`),
      fix: nonPci.length === ms.length ? ['no capture node has a PCI function: frames pass through system memory; capture -> GPU/NVMe P2P needs a PCIe capture card'] : undefined,
      devices: devicesOf(ms),
    };
  }),
};
