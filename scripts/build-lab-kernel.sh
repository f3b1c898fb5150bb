#!/bin/sh
# Build the P2P lab kernel (Linux 6.12 with PCI_P2PDMA, NVMe, 9p and the v2 mechanisms: dma-buf, HMM,
# device-DAX, CXL, capture and RDMA test drivers, all built in) from Debian's linux-source-6.12, and
# cache it outside the clone, keyed by the config fragment's hash, where the lab (test/lab/kernel.ts)
# finds it. A developer's checkout and CI's fresh clone on the same machine share one build.
#
#   scripts/build-lab-kernel.sh [--install-deps] [--force] [--if-missing] [--print-path]
#
#   --install-deps  apt-get install the source package and build tools (needs root)
#   --force         rebuild even when the cached image exists
#   --if-missing    do nothing when the lab already has a kernel for this fragment (the cache, or
#                   ../shared/lab with the same fragment hash); what .ci/run calls
#   --print-path    print where the image is (or would be) cached, and exit
# Environment: XDG_CACHE_HOME (default ~/.cache), P2P_LAB_BUILD_DIR (default: a temp dir, removed after),
# JOBS (default nproc+1). 42 minutes measured on 2 busy cores (the v1 kernel took 13 on idle ones).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FRAGMENT="$ROOT/test/lab/kernel-fragment-v2.config"
IMAGE=bzImage-6.12-p2pdma-v2
# The source the lab's verdicts were first checked on; a newer 6.12 point release is used, with a
# warning, once the archive has dropped this one.
SOURCE_VERSION=6.12.117-1~deb12u1
TARBALL=/usr/src/linux-source-6.12.tar.xz
TOOLS="flex bison bc libelf-dev libssl-dev make gcc xz-utils"

install_deps=0
force=0
if_missing=0
print_path=0
for arg in "$@"; do
	case $arg in
	--install-deps) install_deps=1 ;;
	--force) force=1 ;;
	--if-missing) if_missing=1 ;;
	--print-path) print_path=1 ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "build-lab-kernel: unknown argument $arg" >&2; exit 2 ;;
	esac
done

# The key: the first 16 hex digits of the fragment's sha256 (test/lab/kernel.ts computes the same).
KEY=$(sha256sum "$FRAGMENT" | cut -c1-16)
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/p2p/lab/$KEY"
OUT="$CACHE/$IMAGE"
if [ "$print_path" = 1 ]; then
	echo "$OUT"
	exit 0
fi

if [ -f "$OUT" ] && [ "$force" = 0 ]; then
	echo "build-lab-kernel: $OUT already exists (use --force to rebuild)"
	exit 0
fi
SHARED="$ROOT/../shared/lab"
if [ "$if_missing" = 1 ] && [ -f "$SHARED/$IMAGE" ] && [ -f "$SHARED/kernel-fragment-v2.config" ] &&
	[ "$(sha256sum "$SHARED/kernel-fragment-v2.config" | cut -c1-16)" = "$KEY" ]; then
	echo "build-lab-kernel: $SHARED/$IMAGE was built from the same fragment; the lab uses it"
	exit 0
fi

if [ "$install_deps" = 1 ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $TOOLS
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "linux-source-6.12=$SOURCE_VERSION"; then
		echo "build-lab-kernel: linux-source-6.12 $SOURCE_VERSION is no longer in the archive; using its newest 6.12" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends linux-source-6.12
	fi
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
	echo "build-lab-kernel: run again with --install-deps (as root), or: apt-get install -y linux-source-6.12 $TOOLS" >&2
	exit 1
fi

JOBS=${JOBS:-$(($(nproc) + 1))}
if [ -n "${P2P_LAB_BUILD_DIR:-}" ]; then
	BUILD=$P2P_LAB_BUILD_DIR
	mkdir -p "$BUILD"
else
	BUILD=$(mktemp -d "${TMPDIR:-/tmp}/p2p-kernel-build.XXXXXX")
	trap 'rm -rf "$BUILD"' EXIT
fi
SRC="$BUILD/linux-source-6.12"
if [ ! -f "$SRC/Makefile" ]; then
	echo "build-lab-kernel: unpacking $TARBALL"
	tar -C "$BUILD" -xf "$TARBALL"
fi
start=$(date +%s)

cd "$SRC"
echo "build-lab-kernel: configuring (x86_64_defconfig + kvm_guest.config + $FRAGMENT)"
make -s x86_64_defconfig
make -s kvm_guest.config
scripts/kconfig/merge_config.sh -m .config "$FRAGMENT"
make -s olddefconfig

# merge_config -m does not fail on options that olddefconfig dropped: every =y of the fragment must hold.
dropped=$(grep '^CONFIG_[A-Z0-9_]*=y' "$FRAGMENT" | while read -r opt; do grep -qx "$opt" .config || echo "$opt"; done)
if [ -n "$dropped" ]; then
	echo "build-lab-kernel: these did not end up in .config; the lab cannot use this kernel:" $dropped >&2
	exit 1
fi

echo "build-lab-kernel: make -j$JOBS bzImage"
make -j"$JOBS" bzImage
mkdir -p "$CACHE"
cp arch/x86/boot/bzImage "$OUT.tmp"
cp .config "$CACHE/kernel.config"
cp "$FRAGMENT" "$CACHE/kernel-fragment-v2.config"
mv "$OUT.tmp" "$OUT"
echo "build-lab-kernel: $OUT ($(sha256sum "$OUT" | cut -d' ' -f1)), built in $(( $(date +%s) - start )) s"
