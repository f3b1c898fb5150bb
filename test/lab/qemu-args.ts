// Spec -> QEMU command line. Pure: no files are touched, so tests check the arguments without booting.
import type { FabricNode, LabSpec, NvmeNode, SlotNode } from './spec.js';

export interface QemuPlan {
  /** Kernel image (bzImage). */
  kernel: string;
  /** Guest init script, as a path on the host root (the guest's root is the host's /). */
  initScript: string;
  /** Host directory shared writable as mount tag "results". */
  resultsDir: string;
  /** Backing file for each drive, by drive name. */
  driveFiles: ReadonlyMap<string, string>;
  /** Host directory the guest mounts as its root (default "/"). */
  hostRoot?: string;
  /** Backing files of the device-memory extras (memBackingFiles keys: nvdimm, cxl-mem, cxl-lsa). */
  memFiles?: ReadonlyMap<string, string>;
}

/** The CXL device's label storage area (QEMU 7.2's `lsa=`): small, it holds namespace labels only. */
export const CXL_LSA_MB = 2;

/** Backing files the extras need: name -> size in MiB (created sparse by the runner). */
export function memBackingFiles(spec: Pick<LabSpec, 'nvdimm' | 'cxl'>): Map<string, number> {
  const out = new Map<string, number>();
  if (spec.nvdimm) out.set('nvdimm', spec.nvdimm.sizeMb);
  if (spec.cxl) {
    out.set('cxl-mem', spec.cxl.sizeMb);
    out.set('cxl-lsa', CXL_LSA_MB);
  }
  return out;
}

/** `-machine` value: q35, with nvdimm=on and cxl=on (and its fixed memory window) as the spec asks. */
export function machineArg(spec: Pick<LabSpec, 'nvdimm' | 'cxl'>): string {
  let m = 'q35';
  if (spec.nvdimm) m += ',nvdimm=on';
  if (spec.cxl) m += ',cxl=on,cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G';
  return m;
}

/** `-m` value: an NVDIMM is a memory device, so it needs a hotplug slot and room under maxmem. */
export function memoryArg(spec: Pick<LabSpec, 'memoryMb' | 'nvdimm'>): string {
  return spec.nvdimm ? `${spec.memoryMb}M,slots=2,maxmem=${spec.memoryMb + spec.nvdimm.sizeMb + 1024}M` : String(spec.memoryMb);
}

/** The NVDIMM and the CXL type-3 device (pxb-cxl -> cxl-rp -> cxl-type3), as docs/lab.md gives them. */
export function devmemArgs(spec: Pick<LabSpec, 'nvdimm' | 'cxl'>, files: ReadonlyMap<string, string>): string[] {
  const file = (k: string): string => {
    const f = files.get(k);
    if (!f) throw new Error(`no backing file for ${k}`);
    return qemuEscape(f);
  };
  const out: string[] = [];
  if (spec.nvdimm) {
    out.push('-object', `memory-backend-file,id=nvdimm-mem,share=on,mem-path=${file('nvdimm')},size=${spec.nvdimm.sizeMb}M`);
    out.push('-device', 'nvdimm,memdev=nvdimm-mem,id=nv1');
  }
  if (spec.cxl) {
    out.push('-object', `memory-backend-file,id=cxl-mem0,share=on,mem-path=${file('cxl-mem')},size=${spec.cxl.sizeMb}M`);
    out.push('-object', `memory-backend-file,id=cxl-lsa0,share=on,mem-path=${file('cxl-lsa')},size=${CXL_LSA_MB}M`);
    out.push('-device', `pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=${spec.cxl.busNr ?? 52}`);
    // port= left out: with port=0 the kernel's port probe failed (-16, non-unique port id).
    out.push('-device', 'cxl-rp,id=crp0,bus=cxl.0,chassis=0,slot=2');
    out.push('-device', 'cxl-type3,bus=crp0,memdev=cxl-mem0,lsa=cxl-lsa0,id=cxl-pmem0');
  }
  return out;
}

/** QEMU's CPU model for each spec CPU. intel: a named Intel model TCG can run; amd: EPYC (Zen, family 0x17). */
export const CPU_FLAGS: Record<LabSpec['cpu'], string | null> = {
  intel: 'Nehalem',
  amd: 'EPYC',
  qemu64: null,
};

/** Commas inside a QEMU option value are written twice. */
export function qemuEscape(value: string): string {
  return value.replace(/,/g, ',,');
}

/** The kernel command line: 9p root, our init, the spec's extras. */
export function kernelCmdline(spec: LabSpec, initScript: string): string {
  if (/\s/.test(initScript)) throw new Error(`the guest init path must not contain blanks (the kernel splits its command line on them): ${initScript}`);
  const args = [
    'console=ttyS0',
    'root=hostroot',
    'rootfstype=9p',
    // cache=loose: the host root does not change under a run, and without a guest page cache
    // every file node loads is a 9p round trip (node -e 1: 11 s instead of 2 s under TCG).
    'rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose',
    'ro',
    'panic=-1',
    // A TCG guest starved of host CPU can miss the boot-time IO-APIC timer check and panic
    // ("IO-APIC + timer doesn't work!"); seen with five guests on two cores. Skip the check.
    'no_timer_check',
    'init=/bin/sh',
  ];
  if (spec.iommu) args.push('intel_iommu=on');
  args.push(...spec.kernelArgs);
  // Everything after "--" is handed to init: /bin/sh runs our script, so it needs no exec bit.
  args.push('--', initScript);
  return args.join(' ');
}

/** QEMU `-device`/`-drive` arguments for the fabric, in creation order. */
export function fabricArgs(spec: Pick<LabSpec, 'fabric'>, driveFiles: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  let rootPorts = 0;
  let switches = 0;
  let hostBridges = 0;
  let chassis = 0;

  const nvme = (n: NvmeNode, bus: string): void => {
    const file = driveFiles.get(n.name);
    if (!file) throw new Error(`no backing file for drive "${n.name}"`);
    out.push('-drive', `file=${qemuEscape(file)},if=none,id=drv-${n.name},format=raw`);
    if (n.vfs) {
      // SR-IOV needs an NVMe subsystem, which takes the namespace as its own device, and flexible
      // queue and interrupt resources of at least 2 and 1 per VF.
      out.push('-device', `nvme-subsys,id=subsys-${n.name}`);
      out.push('-device', `nvme,id=nvme-${n.name},serial=${n.name},bus=${bus},subsys=subsys-${n.name},sriov_max_vfs=${n.vfs},sriov_vq_flexible=${2 * n.vfs},sriov_vi_flexible=${n.vfs}`);
      out.push('-device', `nvme-ns,drive=drv-${n.name},bus=nvme-${n.name}`);
      return;
    }
    let dev = `nvme,id=nvme-${n.name},serial=${n.name},drive=drv-${n.name},bus=${bus}`;
    if (n.cmbMb) dev += `,cmb_size_mb=${n.cmbMb}`;
    out.push('-device', dev);
  };

  const slot = (n: SlotNode | null | undefined, bus: string): void => {
    if (!n) return;
    if (n.kind === 'nvme') return nvme(n, bus);
    const sw = ++switches;
    const up = `sw${sw}-up`;
    out.push('-device', `x3130-upstream,id=${up},bus=${bus}`);
    n.downstream.forEach((child, i) => {
      const id = `sw${sw}-dn${i}`;
      chassis++;
      out.push('-device', `xio3130-downstream,id=${id},bus=${up},chassis=${chassis},slot=${chassis}`);
      slot(child, id);
    });
  };

  const node = (n: FabricNode, bus: string): void => {
    switch (n.kind) {
      case 'nvme':
        return nvme(n, bus);
      case 'root-port': {
        const id = `rp${++rootPorts}`;
        chassis++;
        out.push('-device', `pcie-root-port,id=${id},bus=${bus},chassis=${chassis},slot=${chassis}`);
        return slot(n.child, id);
      }
      case 'switch':
        return slot(n, bus);
      case 'host-bridge': {
        const id = `pxb${++hostBridges}`;
        out.push('-device', `pxb-pcie,id=${id},bus_nr=${n.busNr},bus=${bus}`);
        n.children.forEach((c) => node(c, id));
        return;
      }
    }
  };

  spec.fabric.forEach((n) => node(n, 'pcie.0'));
  return out;
}

/** The complete QEMU argument vector (without the program name). */
export function qemuArgs(spec: LabSpec, plan: QemuPlan): string[] {
  const hostRoot = plan.hostRoot ?? '/';
  const args = [
    '-machine', machineArg(spec),
    '-accel', 'tcg',
    '-m', memoryArg(spec),
    '-smp', '1',
    '-nodefaults', '-no-user-config',
    '-display', 'none',
    '-monitor', 'none',
    '-serial', 'stdio',
    '-no-reboot',
  ];
  const cpu = CPU_FLAGS[spec.cpu];
  if (cpu) args.push('-cpu', cpu);
  // The IOMMU must exist before the PCI devices it translates for.
  if (spec.iommu) args.push('-device', 'intel-iommu');
  args.push(
    '-kernel', plan.kernel,
    '-append', kernelCmdline(spec, plan.initScript),
    '-fsdev', `local,id=hostroot,path=${qemuEscape(hostRoot)},security_model=none,readonly=on,multidevs=remap`,
    '-device', 'virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot',
    '-fsdev', `local,id=results,path=${qemuEscape(plan.resultsDir)},security_model=none`,
    '-device', 'virtio-9p-pci,fsdev=results,mount_tag=results',
  );
  args.push(...fabricArgs(spec, plan.driveFiles));
  args.push(...devmemArgs(spec, plan.memFiles ?? new Map()));
  return args;
}
