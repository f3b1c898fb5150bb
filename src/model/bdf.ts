// A PCI address as the kernel spells it in sysfs ("0000:03:00.0": lowercase hex, 4-8 digit domain):
// the names under bus/pci/devices and in device paths.
export const KERNEL_BDF = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/;

const KERNEL_BDF_ANYWHERE = /[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]/g;

/** Every kernel-spelled BDF in a path, outermost first ("devices/pci0000:00/0000:00:01.0/0000:01:00.0/nvme/nvme0" -> two). */
export function bdfsInPath(p: string): string[] {
  return p.match(KERNEL_BDF_ANYWHERE) ?? [];
}

/**
 * The directories above a function's sysfs directory that are PCI functions too (named by a BDF),
 * outermost first: the bridges on its path, which the kernel may leave out of bus/pci/devices.
 * "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0" -> [{bdf "0000:00:01.0", dir "sys/devices/pci0000:00/0000:00:01.0"}].
 */
export function bdfAncestorDirs(dir: string, sep = '/'): { bdf: string; dir: string }[] {
  const parts = dir.split(sep);
  const out: { bdf: string; dir: string }[] = [];
  for (let i = 0; i < parts.length - 1; i++) {
    if (KERNEL_BDF.test(parts[i])) out.push({ bdf: parts[i], dir: parts.slice(0, i + 1).join(sep) });
  }
  return out;
}
