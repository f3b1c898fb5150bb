#!/bin/sh
# Build the P2P lab kernel (Linux 6.12 with PCI_P2PDMA, NVMe and 9p built in) from Debian's
# linux-source-6.12 and cache it as test/lab/.cache/bzImage-6.12-p2pdma, where the lab finds it.
# Same recipe as ../shared/lab/README.md; about 13 minutes on 2 cores.
#
#   scripts/build-lab-kernel.sh [--install-deps] [--force]
#
#   --install-deps  apt-get install the source package and build tools (needs root)
#   --force         rebuild even when the cached image exists
# Environment: P2P_LAB_BUILD_DIR (default test/lab/.cache/kernel-build), JOBS (default nproc+1).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE="$ROOT/test/lab/.cache"
OUT="$CACHE/bzImage-6.12-p2pdma"
BUILD=${P2P_LAB_BUILD_DIR:-$CACHE/kernel-build}
FRAGMENT="$ROOT/test/lab/kernel-fragment.config"
TARBALL=/usr/src/linux-source-6.12.tar.xz
PACKAGES="linux-source-6.12 flex bison bc libelf-dev libssl-dev make gcc xz-utils"

install_deps=0
force=0
for arg in "$@"; do
	case $arg in
	--install-deps) install_deps=1 ;;
	--force) force=1 ;;
	-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "build-lab-kernel: unknown argument $arg" >&2; exit 2 ;;
	esac
done

if [ -f "$OUT" ] && [ "$force" = 0 ]; then
	echo "build-lab-kernel: $OUT already exists (use --force to rebuild)"
	exit 0
fi

if [ "$install_deps" = 1 ]; then
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y $PACKAGES
fi

missing=""
[ -f "$TARBALL" ] || missing="$missing linux-source-6.12"
for tool in flex bison bc make gcc xz; do
	command -v "$tool" > /dev/null 2>&1 || missing="$missing $tool"
done
[ -f /usr/include/libelf.h ] || missing="$missing libelf-dev"
[ -f /usr/include/openssl/ssl.h ] || missing="$missing libssl-dev"
if [ -n "$missing" ]; then
	echo "build-lab-kernel: missing:$missing" >&2
	echo "build-lab-kernel: run again with --install-deps (as root), or: apt-get install -y $PACKAGES" >&2
	exit 1
fi

JOBS=${JOBS:-$(($(nproc) + 1))}
mkdir -p "$BUILD"
SRC="$BUILD/linux-source-6.12"
if [ ! -f "$SRC/Makefile" ]; then
	echo "build-lab-kernel: unpacking $TARBALL"
	tar -C "$BUILD" -xf "$TARBALL"
fi

cd "$SRC"
echo "build-lab-kernel: configuring (x86_64_defconfig + kvm_guest.config + $FRAGMENT)"
make -s x86_64_defconfig
make -s kvm_guest.config
scripts/kconfig/merge_config.sh -m .config "$FRAGMENT"
make -s olddefconfig

# merge_config -m does not fail on options that olddefconfig dropped; check the ones the lab needs.
for opt in CONFIG_PCI_P2PDMA CONFIG_ZONE_DEVICE CONFIG_BLK_DEV_NVME CONFIG_9P_FS CONFIG_NET_9P_VIRTIO \
	CONFIG_VIRTIO_PCI CONFIG_DEVTMPFS CONFIG_PCIEPORTBUS CONFIG_INTEL_IOMMU; do
	if ! grep -q "^$opt=y" .config; then
		echo "build-lab-kernel: $opt did not end up =y in .config; the lab cannot use this kernel" >&2
		exit 1
	fi
done

echo "build-lab-kernel: make -j$JOBS bzImage"
make -j"$JOBS" bzImage
mkdir -p "$CACHE"
cp arch/x86/boot/bzImage "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cp .config "$CACHE/kernel.config"
echo "build-lab-kernel: $OUT ($(sha256sum "$OUT" | cut -d' ' -f1))"
