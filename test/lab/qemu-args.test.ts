// The spec -> QEMU translation, checked without booting anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CXL_LSA_MB, fabricArgs, kernelCmdline, memBackingFiles, qemuArgs, qemuEscape } from './qemu-args.js';
import { drivesOf, validateSpec, type LabSpec } from './spec.js';

function spec(extra: Record<string, unknown>): LabSpec {
  return validateSpec({
    name: 't',
    description: 't',
    fabric: [{ kind: 'root-port', child: { kind: 'nvme', name: 'a', cmbMb: 64 } }],
    expect: [{ client: 'a', provider: 'a', kernel: 'ok' }],
    ...extra,
  });
}

function files(s: LabSpec): Map<string, string> {
  return new Map(drivesOf(s).map((d) => [d.name, `/tmp/d/${d.name}.img`]));
}

/** The values of every `-device` argument. */
function devices(args: string[]): string[] {
  return args.flatMap((a, i) => (args[i - 1] === '-device' ? [a] : []));
}

const plan = (s: LabSpec) => ({ kernel: '/k/bzImage', initScript: '/repo/test/lab/guest/init.sh', resultsDir: '/out/t/guest', driveFiles: files(s) });

test('a root port with one drive', () => {
  const s = spec({});
  assert.deepEqual(fabricArgs(s, files(s)), [
    '-device', 'pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1',
    '-drive', 'file=/tmp/d/a.img,if=none,id=drv-a,format=raw',
    '-device', 'nvme,id=nvme-a,serial=a,drive=drv-a,bus=rp1,cmb_size_mb=64',
  ]);
});

test('nested switches get their own upstream port and one downstream port per slot, empty ones included', () => {
  const s = spec({
    fabric: [{ kind: 'root-port', child: { kind: 'switch', downstream: [
      { kind: 'switch', downstream: [{ kind: 'nvme', name: 'a', cmbMb: 64 }, { kind: 'nvme', name: 'c' }] },
      null,
    ] } }],
    expect: [{ client: 'a', provider: 'a', kernel: 'ok' }, { client: 'c', provider: 'a', kernel: 'ok' }],
  });
  assert.deepEqual(devices(fabricArgs(s, files(s))), [
    'pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1',
    'x3130-upstream,id=sw1-up,bus=rp1',
    'xio3130-downstream,id=sw1-dn0,bus=sw1-up,chassis=2,slot=2',
    'x3130-upstream,id=sw2-up,bus=sw1-dn0',
    'xio3130-downstream,id=sw2-dn0,bus=sw2-up,chassis=3,slot=3',
    'nvme,id=nvme-a,serial=a,drive=drv-a,bus=sw2-dn0,cmb_size_mb=64',
    'xio3130-downstream,id=sw2-dn1,bus=sw2-up,chassis=4,slot=4',
    'nvme,id=nvme-c,serial=c,drive=drv-c,bus=sw2-dn1',
    'xio3130-downstream,id=sw1-dn1,bus=sw1-up,chassis=5,slot=5',
  ]);
});

test('an extra host bridge is a pxb-pcie with its bus number; its root ports hang on it', () => {
  const s = spec({
    fabric: [
      { kind: 'root-port', child: { kind: 'nvme', name: 'a', cmbMb: 64 } },
      { kind: 'host-bridge', busNr: 64, children: [{ kind: 'root-port', child: { kind: 'nvme', name: 'b', cmbMb: 64 } }] },
    ],
    expect: ['a', 'b'].flatMap((c) => ['a', 'b'].map((p) => ({ client: c, provider: p, kernel: 'ok' }))),
  });
  const d = devices(fabricArgs(s, files(s)));
  assert.ok(d.includes('pxb-pcie,id=pxb1,bus_nr=64,bus=pcie.0'), d.join('\n'));
  assert.ok(d.includes('pcie-root-port,id=rp2,bus=pxb1,chassis=2,slot=2'), d.join('\n'));
  assert.ok(d.includes('nvme,id=nvme-b,serial=b,drive=drv-b,bus=rp2,cmb_size_mb=64'), d.join('\n'));
  // (chassis, slot) pairs must be unique machine-wide or QEMU refuses to start.
  const slots = d.filter((x) => x.includes('chassis=')).map((x) => x.match(/chassis=\d+,slot=\d+/)![0]);
  assert.equal(new Set(slots).size, slots.length);
});

test('CPU models', () => {
  const cpuOf = (s: LabSpec) => {
    const a = qemuArgs(s, plan(s));
    const i = a.indexOf('-cpu');
    return i < 0 ? null : a[i + 1];
  };
  assert.equal(cpuOf(spec({})), 'Nehalem');
  assert.equal(cpuOf(spec({ cpu: 'amd' })), 'EPYC');
  assert.equal(cpuOf(spec({ cpu: 'qemu64' })), null);
});

test('IOMMU: the device comes before every PCI device and the kernel is told to use it', () => {
  const s = spec({ iommu: true });
  const a = qemuArgs(s, plan(s));
  const d = devices(a);
  assert.equal(d[0], 'intel-iommu');
  assert.match(a[a.indexOf('-append') + 1]!, / intel_iommu=on /);
  const off = qemuArgs(spec({}), plan(spec({})));
  assert.ok(!devices(off).includes('intel-iommu'));
  assert.doesNotMatch(off[off.indexOf('-append') + 1]!, /intel_iommu/);
});

test('TCG only, bounded and headless: no KVM, no reboot, serial on stdio, read-only host root, writable results share', () => {
  const s = spec({ memoryMb: 768 });
  const a = qemuArgs(s, plan(s));
  const joined = a.join(' ');
  assert.ok(joined.includes('-accel tcg'));
  assert.ok(!joined.includes('kvm'));
  assert.ok(a.includes('-no-reboot') && a.includes('-nodefaults'));
  assert.equal(a[a.indexOf('-serial') + 1], 'stdio');
  assert.equal(a[a.indexOf('-m') + 1], '768');
  assert.equal(a[a.indexOf('-kernel') + 1], '/k/bzImage');
  assert.ok(a.includes('local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap'));
  assert.ok(a.includes('local,id=results,path=/out/t/guest,security_model=none'));
  assert.ok(a.includes('virtio-9p-pci,fsdev=results,mount_tag=results'));
});

test('kernel command line: 9p root, panic ends the run, init script after "--", extra args before it', () => {
  const s = spec({ kernelArgs: ['pci=realloc', 'loglevel=4'] });
  const c = kernelCmdline(s, '/repo/test/lab/guest/init.sh');
  assert.match(c, /^console=ttyS0 root=hostroot rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=\d+,cache=loose ro panic=-1 no_timer_check init=\/bin\/sh /);
  assert.ok(c.endsWith(' pci=realloc loglevel=4 -- /repo/test/lab/guest/init.sh'), c);
  assert.throws(() => kernelCmdline(s, '/my repo/init.sh'), /must not contain blanks/);
});

test('commas in paths are doubled for QEMU', () => {
  assert.equal(qemuEscape('/a,b/c'), '/a,,b/c');
  const s = spec({});
  const a = fabricArgs(s, new Map([['a', '/tmp/x,y/a.img']]));
  assert.ok(a.includes('file=/tmp/x,,y/a.img,if=none,id=drv-a,format=raw'));
});

test('a drive without a backing file is a programming error, not a silent gap', () => {
  const s = spec({});
  assert.throws(() => fabricArgs(s, new Map()), /no backing file for drive "a"/);
});

test('a drive with SR-IOV VFs: a subsystem, the VF resources QEMU demands, its namespace as its own device', () => {
  const s = spec({
    fabric: [{ kind: 'root-port', child: { kind: 'nvme', name: 'v', vfs: 3 } }, { kind: 'root-port', child: { kind: 'nvme', name: 'a', cmbMb: 64 } }],
    expect: [{ client: 'v', provider: 'a', kernel: 'EREMOTEIO' }, { client: 'a', provider: 'a', kernel: 'ok' }],
  });
  assert.deepEqual(fabricArgs(s, files(s)).slice(0, 10), [
    '-device', 'pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1',
    '-drive', 'file=/tmp/d/v.img,if=none,id=drv-v,format=raw',
    '-device', 'nvme-subsys,id=subsys-v',
    '-device', 'nvme,id=nvme-v,serial=v,bus=rp1,subsys=subsys-v,sriov_max_vfs=3,sriov_vq_flexible=6,sriov_vi_flexible=3',
    '-device', 'nvme-ns,drive=drv-v,bus=nvme-v',
  ]);
});

test('device memory: an NVDIMM, a CXL type-3 behind pxb-cxl, and the machine and memory options they need', () => {
  const s = spec({ nvdimm: { sizeMb: 256, mode: 'devdax' }, cxl: { sizeMb: 256 }, rdma: ['rxe', 'siw'], udmabuf: true });
  const mem = new Map([['nvdimm', '/s/nvdimm.mem'], ['cxl-mem', '/s/cxl-mem.mem'], ['cxl-lsa', '/s/cxl-lsa.mem']]);
  const args = qemuArgs(s, { ...plan(s), memFiles: mem });
  assert.equal(args[args.indexOf('-machine') + 1], 'q35,nvdimm=on,cxl=on,cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G');
  assert.equal(args[args.indexOf('-m') + 1], '1024M,slots=2,maxmem=2304M', 'an NVDIMM needs a memory slot and maxmem room');
  const devs = devices(args);
  assert.ok(devs.includes('nvdimm,memdev=nvdimm-mem,id=nv1'));
  assert.deepEqual(devs.slice(-3), ['pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=52', 'cxl-rp,id=crp0,bus=cxl.0,chassis=0,slot=2', 'cxl-type3,bus=crp0,memdev=cxl-mem0,lsa=cxl-lsa0,id=cxl-pmem0']);
  assert.ok(args.includes('memory-backend-file,id=nvdimm-mem,share=on,mem-path=/s/nvdimm.mem,size=256M'));
  assert.deepEqual([...memBackingFiles(s)], [['nvdimm', 256], ['cxl-mem', 256], ['cxl-lsa', CXL_LSA_MB]]);
  const plain = qemuArgs(spec({}), plan(spec({})));
  assert.equal(plain[plain.indexOf('-machine') + 1], 'q35', 'no extras: the command line is as before');
  assert.equal(plain[plain.indexOf('-m') + 1], '1024');
});
