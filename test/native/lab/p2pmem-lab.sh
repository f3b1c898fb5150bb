#!/bin/sh
# Exercise `p2p bench`'s p2pmem path on the real kernel P2PDMA code, in QEMU (TCG) with the lab kernel
# (bzImage-6.12-p2pdma-v2, PCI_P2PDMA=y, where scripts/build-lab-kernel.sh caches it). The host's root is the guest's root (9p, read-only),
# so the guest runs this checkout's dist/ and build/. Two fabrics:
#   self  : one NVMe with a 64 MiB CMB; it reads its own namespace into its own p2pmem
#   iommu : a switch with two NVMe (client, CMB provider) and intel-iommu on: the kernel's P2P read
#           returns success but the bytes do not arrive (lab README) - verification must catch it
# Usage: sh test/native/lab/p2pmem-lab.sh [KERNEL]     (needs qemu-system-x86_64; ~1 min; prints JSON lines)
set -eu
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
KERNEL=${1:-$(sh "$REPO/scripts/build-lab-kernel.sh" --print-path)}
[ -f "$KERNEL" ] || { echo "no kernel at $KERNEL: build it with scripts/build-lab-kernel.sh --install-deps" >&2; exit 2; }
[ -f "$REPO/dist/src/native/addon.js" ] || { echo "build first: npx tsc -p tsconfig.json && npx node-gyp rebuild" >&2; exit 2; }
W=$(mktemp -d /var/tmp/p2p-lab.XXXXXX)
trap 'rm -rf "$W"' EXIT
head -c $((64 << 20)) /dev/urandom > "$W/a.img"
head -c $((64 << 20)) /dev/urandom > "$W/b.img"
cat > "$W/init.sh" <<INIT
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
$(command -v node) $REPO/test/native/lab/guest-p2pmem.mjs $REPO 2>&1
echo o > /proc/sysrq-trigger
exec sleep 10
INIT
chmod +x "$W/init.sh"
APPEND="console=ttyS0 root=hostroot rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144 ro init=$W/init.sh panic=-1 quiet loglevel=1"
COMMON="-M q35 -accel tcg -m 1024 -smp 1 -nographic -no-reboot -kernel $KERNEL
 -fsdev local,id=hr,path=/,security_model=none,readonly=on -device virtio-9p-pci,fsdev=hr,mount_tag=hostroot"
run() {
  name=$1; shift
  # shellcheck disable=SC2086
  timeout 300 qemu-system-x86_64 $COMMON "$@" > "$W/$name.log" 2>&1 || true
  line=$(tr -d '\r' < "$W/$name.log" | grep -a '^P2PRESULT ' | head -1 | sed 's/^P2PRESULT //')
  if [ -n "$line" ]; then echo "{\"fabric\":\"$name\",\"result\":$line}"; else echo "{\"fabric\":\"$name\",\"error\":\"no result; console tail follows\"}"; tail -20 "$W/$name.log" >&2; fi
}
run self -append "$APPEND" \
  -drive file="$W/a.img",if=none,id=d0,format=raw -device nvme,serial=self0,drive=d0,cmb_size_mb=64
run iommu -device intel-iommu -append "$APPEND intel_iommu=on" \
  -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1 -device x3130-upstream,id=up1,bus=rp1 \
  -device xio3130-downstream,id=dn1,bus=up1,chassis=2,slot=0 -device xio3130-downstream,id=dn2,bus=up1,chassis=3,slot=1 \
  -drive file="$W/a.img",if=none,id=d0,format=raw -device nvme,serial=client0,drive=d0,bus=dn1 \
  -drive file="$W/b.img",if=none,id=d1,format=raw -device nvme,serial=prov1,drive=d1,bus=dn2,cmb_size_mb=64
