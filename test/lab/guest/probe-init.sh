#!/bin/sh
# p2p probe lab guest init (PID 1), beside init.sh: sets up the peer memories and consumers the v2
# kernel offers (a device-DAX namespace on the nvdimm, rxe over a veth pair, vivid's capture node, an
# ext4 scratch filesystem), then for each provider (the NVMe CMB's p2pmem, /dev/dax0.0, udmabuf) runs
# the C oracle (probe-oracle.c) and `p2p probe --json`, and benches NVMe -> device-DAX and -> udmabuf.
# Raw files only; test/lab/probe-lab.ts compares them. Every step is bounded by `timeout`.
#
# results/guest.env (written by the host): REPO NODE ORACLE SIZE CMD_TIMEOUT
SAY_AS=p2p-probe-lab
# shellcheck source=common.sh
. "${0%/*}/common.sh"
mount_lab /run/fs
echo started > "$R/stage"
. "$R/guest.env"
export HOME=/run/tmp TMPDIR=/run/tmp NO_COLOR=1 TERM=dumb
uname -r > "$R/uname.txt"

# NVMe drives by serial: cmb (the p2pmem provider), disk (raw, --device), fs (ext4, --file), far
# (another root port). Lines: serial bdf block.
nvme_drives | cut -d' ' -f2- > "$R/drives.txt"
field() { awk -v s="$1" -v f="$2" '$1 == s { print $f }' "$R/drives.txt"; }
CMB=$(field cmb 2)
DISK=/dev/$(field disk 3)
FSDEV=/dev/$(field fs 3)

echo setup > "$R/stage"
# ext4 on the fs drive: a filesystem that does O_DIRECT by DMA (tmpfs would copy with the CPU).
timeout 60 mkfs.ext4 -q -F "$FSDEV" > "$R/mkfs.txt" 2>&1 && mount -t ext4 "$FSDEV" /run/fs >> "$R/mkfs.txt" 2>&1
echo $? > "$R/mkfs.rc"
# device-DAX on the nvdimm (the recipe in the shared lab notes: no label-size, align 2M).
make_namespace namespace0.0 devdax 120 "$R/ndctl"
ls -l /dev/dax* > "$R/dax.txt" 2>&1
# rxe over a veth pair.
{
	veth_rdma veth0 veth1 rxe
	echo "rc=$?"
	timeout 30 ibv_devices
} > "$R/rdma.txt" 2>&1
# vivid's video capture node.
VIDEO=-
for v in /sys/class/video4linux/video*; do
	case "$(cat "$v/name" 2>/dev/null)" in
	*vid-cap*) VIDEO=/dev/${v##*/}; break ;;
	esac
done
echo "$VIDEO" > "$R/video.txt"
echo "cmb=$CMB disk=$DISK fs=$FSDEV video=$VIDEO" > "$R/setup.txt"
say "setup: $(cat "$R/setup.txt")"

# Each provider: the oracle, then p2p probe, with the same consumers and size.
echo probe > "$R/stage"
VIDEOARG=
[ "$VIDEO" != - ] && VIDEOARG="--video $VIDEO"
ask() {
	name=$1 kind=$2 path=$3 spec=$4
	dmesg -C
	timeout 60 "$ORACLE" "$kind" "$path" "$SIZE" "$DISK" /run/fs rxe0 "$VIDEO" 1 < /dev/null > "$R/oracle-$name.jsonl" 2> "$R/oracle-$name.err"
	echo $? > "$R/oracle-$name.rc"
	dmesg > "$R/oracle-$name.dmesg"
	dmesg -C
	timeout "$CMD_TIMEOUT" "$NODE" "$REPO/bin/p2p.js" probe "$spec" --device "$DISK" --file /run/fs --rdma rxe0 $VIDEOARG \
		--size "$SIZE" --write --json < /dev/null > "$R/probe-$name.json" 2> "$R/probe-$name.err"
	echo $? > "$R/probe-$name.rc"
	dmesg > "$R/probe-$name.dmesg"
	timeout "$CMD_TIMEOUT" "$NODE" "$REPO/bin/p2p.js" probe "$spec" --device "$DISK" --file /run/fs --rdma rxe0 $VIDEOARG \
		--size "$SIZE" --write < /dev/null > "$R/probe-$name.txt" 2>&1
}
[ -n "$CMB" ] && ask p2pmem p2pmem "/sys/bus/pci/devices/$CMB/p2pmem/allocate" "$CMB"
[ -e /dev/dax0.0 ] && ask dax dax /dev/dax0.0 /dev/dax0.0
[ -e /dev/udmabuf ] && ask udmabuf udmabuf /dev/udmabuf udmabuf
ask host host - host
# The far disk (another root port, no allow-listed host bridge): the P2PDMA distance check's answer.
FAR=/dev/$(field far 3)
if [ -n "$CMB" ] && [ "$FAR" != /dev/ ]; then
	dmesg -C
	timeout 60 "$ORACLE" p2pmem "/sys/bus/pci/devices/$CMB/p2pmem/allocate" "$SIZE" "$FAR" - - - 0 < /dev/null > "$R/oracle-p2pmem-far.jsonl" 2> "$R/oracle-p2pmem-far.err"
	dmesg > "$R/oracle-p2pmem-far.dmesg"
	timeout "$CMD_TIMEOUT" "$NODE" "$REPO/bin/p2p.js" probe "$CMB" --device "$FAR" --size "$SIZE" --json < /dev/null > "$R/probe-p2pmem-far.json" 2> "$R/probe-p2pmem-far.err"
	echo $? > "$R/probe-p2pmem-far.rc"
fi

# The bench into the new destinations: NVMe -> device-DAX, NVMe -> udmabuf.
echo bench > "$R/stage"
for d in /dev/dax0.0 udmabuf; do
	n=$(echo "$d" | tr -c 'a-z0-9\n' '-')
	timeout "$CMD_TIMEOUT" "$NODE" "$REPO/bin/p2p.js" bench "$DISK" "$d" --json --size 8M --total 8M --bs 256k --qd 4 --rounds 1 \
		< /dev/null > "$R/bench-$n.json" 2> "$R/bench-$n.err"
	echo $? > "$R/bench-$n.rc"
	timeout "$CMD_TIMEOUT" "$NODE" "$REPO/bin/p2p.js" bench "$DISK" "$d" --size 8M --total 8M --bs 256k --qd 4 --rounds 1 \
		< /dev/null > "$R/bench-$n.txt" 2>&1
done

dmesg > "$R/dmesg.txt"
umount /run/fs 2>/dev/null
echo done > "$R/stage"
sync
umount "$R"
say "powering off"
poweroff_now
