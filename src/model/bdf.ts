// A PCI address as the kernel spells it in sysfs ("0000:03:00.0": lowercase hex, 4-8 digit domain):
// the names under bus/pci/devices and in device paths.
export const KERNEL_BDF = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/;
