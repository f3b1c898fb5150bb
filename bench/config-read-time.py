#!/usr/bin/env python3
# Time to read every PCI function's sysfs config space, in prefixes of 64, 256 and 4096 bytes: what a
# scan pays in config transactions (one per dword, in the kernel) beyond lspci -tv's 64-byte header.
# Run as root (others get 64 bytes). Usage: python3 bench/config-read-time.py [SYSFS_ROOT]
import glob, os, sys, time

root = sys.argv[1] if len(sys.argv) > 1 else '/'
files = sorted(glob.glob(os.path.join(root, 'sys/bus/pci/devices/*/config')))
for n in (64, 256, 4096):
    best = None
    for _ in range(5):
        t = time.perf_counter()
        got = 0
        for f in files:
            fd = os.open(f, os.O_RDONLY)
            got += len(os.pread(fd, n, 0))
            os.close(fd)
        d = time.perf_counter() - t
        best = d if best is None else min(best, d)
    print(f'{n} bytes: {len(files)} functions, {got} bytes read, best of 5 {best * 1e3:.2f} ms, {best * 1e6 / max(1, len(files)):.0f} us/function')
