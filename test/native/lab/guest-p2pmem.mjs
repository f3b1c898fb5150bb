// Runs inside the QEMU guest (see p2pmem-lab.sh): NVMe namespace -> p2pmem of an NVMe CMB, through the
// real kernel P2PDMA path, with the bench engine of this checkout. Prints one line: P2PRESULT {json}.
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

const repo = process.argv[2];
const a = await import(`${repo}/dist/src/native/addon.js`);
const out = { addon: a.addonStatus(), ioUring: a.ioUringProbe(), iommu: existsSync('/sys/class/iommu') ? readdirSync('/sys/class/iommu') : [], runs: [] };
try {
  const ctrls = readdirSync('/sys/class/nvme').map((c) => ({
    name: c,
    bdf: basename(readlinkSync(`/sys/class/nvme/${c}/device`)),
    p2pmem: existsSync(`/sys/class/nvme/${c}/device/p2pmem/allocate`),
  }));
  const provider = ctrls.find((c) => c.p2pmem);
  const client = ctrls.find((c) => c !== provider) ?? provider;
  out.client = client;
  out.provider = provider;
  const runs = [
    { mode: 'direct', engine: 'auto' },
    { mode: 'bounce', engine: 'auto' },
    { mode: 'direct', engine: 'psync' },
    { mode: 'direct', engine: 'auto', testCorruptByte: 17 },
  ];
  for (const r of runs) {
    const o = {
      path: `/dev/${client.name}n1`, write: false, direct: true, engine: r.engine,
      dest: { kind: 'p2pmem', allocatePath: `/sys/bus/pci/devices/${provider.bdf}/p2pmem/allocate` }, mode: r.mode,
      blockSize: 1 << 20, queueDepth: 4, workers: 1, rangeOffset: 0, rangeLength: 32 << 20, totalBytes: 32 << 20,
      durationMs: 0, pattern: 'seq', registerBuffers: true, verifySlots: -1, progressIntervalMs: 250, seed: 1,
      ...(r.testCorruptByte !== undefined ? { testCorruptByte: r.testCorruptByte } : {}),
    };
    try {
      const res = await a.startBench(o).promise;
      out.runs.push({ ...r, engineUsed: res.engine, registered: res.registeredBuffers, registerNote: res.registerNote, bytes: res.bytes, error: res.error, verify: res.verify });
    } catch (e) {
      out.runs.push({ ...r, rejected: e.message, code: e.code });
    }
  }
} catch (e) {
  out.error = e.message;
}
console.log('P2PRESULT ' + JSON.stringify(out));
