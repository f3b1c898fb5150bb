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
    '-machine', 'q35',
    '-accel', 'tcg',
    '-m', String(spec.memoryMb),
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
  return args;
}
