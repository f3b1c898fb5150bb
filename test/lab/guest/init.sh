#!/bin/sh
# p2p lab guest init (PID 1). The root filesystem is the host's, read-only over 9p;
# the results share (mount tag "results") is the only writable place. This script only
# gathers raw files there; the host turns them into one JSON result (test/lab/collect.ts).
# Every step is bounded by `timeout`; the host also kills QEMU when its own deadline passes.
#
# Configuration comes from results/guest.env, written by the host:
#   REPO     checkout path (has bin/p2p.js)      NODE   node binary
#   ORACLE   oracle binary (guest/oracle.c)       LEN    bytes per oracle read
#   CMD_TIMEOUT  seconds per p2p command          P2P_COMMANDS  the commands p2p --help lists
#   NVDIMM_MODE  ndctl mode for namespace0.0 (devdax...)  RDMA  rxe/siw devices to make over veth
#   UDMABUF  1: hold a udmabuf open (PYTHON runs guest/udmabuf.py)   (all empty: nothing to set up)
# and results/bench-args.txt (optional): benchmark runs, one per line (see below), run as bench-N.
SAY_AS=p2p-lab
# shellcheck source=common.sh
. "${0%/*}/common.sh"
# shellcheck disable=SC2119 # no scratch directories beyond res and tmp
mount_lab
say "init started at $(cut -d' ' -f1 /proc/uptime)s"
echo started > "$R/stage"

if [ ! -r "$R/guest.env" ]; then
	say "FATAL no guest.env in the results share"
	poweroff_now
fi
. "$R/guest.env"
export HOME=/run/tmp TMPDIR=/run/tmp NO_COLOR=1 TERM=dumb

# Machine facts.
uname -r > "$R/uname.txt"
cat /proc/cmdline > "$R/cmdline.txt"
cat /proc/cpuinfo > "$R/cpuinfo.txt"
cut -d' ' -f1 /proc/uptime > "$R/uptime-start.txt"

# SR-IOV: every PF that offers VFs enables all of them, unbound (no driver probes them). One line
# per PF: bdf total result.
: > "$R/sriov.txt"
for t in /sys/bus/pci/devices/*/sriov_totalvfs; do
	[ -e "$t" ] || continue
	d=${t%/sriov_totalvfs}
	total=$(cat "$t")
	[ "$total" -gt 0 ] 2>/dev/null || continue
	echo 0 > "$d/sriov_drivers_autoprobe" 2>/dev/null
	if echo "$total" > "$d/sriov_numvfs" 2>/dev/null; then rc=ok; else rc=failed; fi
	echo "${d##*/} $total $rc" >> "$R/sriov.txt"
done

# Device-memory mechanisms (docs/devmem.md): set up what the spec asks, then record what the kernel
# itself shows, independently of p2p, for the host to compare with p2p's findings.
mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ -n "$NVDIMM_MODE" ]; then
	# The NVDIMM's raw namespace: namespace0.0 alone, namespace1.0 when a CXL nvdimm bridge took bus 0.
	ns=$(timeout 30 ndctl list -N -i 2>/dev/null | sed -n 's/.*"dev": *"\(namespace[0-9.]*\)".*/\1/p' | head -n 1)
	make_namespace "${ns:-namespace0.0}" "$NVDIMM_MODE" 60 "$R/devmem-ndctl"
fi
k=0
for prov in $RDMA; do
	veth_rdma "veth$k" "vpeer$k" "$prov" 2>> "$R/devmem-rdma.err"
	k=$((k + 1))
done
UDMABUF_PID=
if [ "$UDMABUF" = 1 ]; then
	"$PYTHON" "$REPO/test/lab/guest/udmabuf.py" "$R/devmem-udmabuf.txt" < /dev/null > /dev/null 2>&1 &
	UDMABUF_PID=$!
	n=0; while [ ! -s "$R/devmem-udmabuf.txt" ] && [ $n -lt 100 ]; do sleep 0.2; n=$((n + 1)); done
fi
ls -1 /dev > "$R/devmem-dev.txt" 2>/dev/null
ls -1 /dev/dma_heap > "$R/devmem-dma-heap.txt" 2>/dev/null
ls -1 /sys/bus/cxl/devices > "$R/devmem-cxl.txt" 2>/dev/null
for v in /sys/class/video4linux/* /sys/class/infiniband/* /sys/bus/cxl/devices/*; do
	[ -e "$v" ] && echo "$v $(readlink -f "$v")"
done > "$R/devmem-paths.txt"
timeout 30 daxctl list > "$R/devmem-daxctl.json" 2>/dev/null
timeout 30 rdma link > "$R/devmem-rdma.txt" 2>> "$R/devmem-rdma.err"
cat /sys/kernel/debug/dma_buf/bufinfo > "$R/devmem-bufinfo.txt" 2>/dev/null
cat /proc/iomem > "$R/devmem-iomem.txt" 2>/dev/null

# lspci's view (the tree the topology must equal, and the IDs it must show).
timeout 30 lspci -nD > "$R/lspci-n.txt" 2> /dev/null
timeout 30 lspci -vvv > "$R/lspci-vvv.txt" 2> "$R/lspci-vvv.err"; echo $? > "$R/lspci-vvv.rc"
timeout 30 lspci -tv > "$R/lspci-tv.txt" 2> "$R/lspci-tv.err"; echo $? > "$R/lspci-tv.rc"
timeout 30 lspci -t > "$R/lspci-t.txt" 2> /dev/null

# NVMe controllers: name serial bdf block
nvme_drives > "$R/drives.txt"

# p2pmem providers: bdf size available published
: > "$R/providers.txt"
for d in /sys/bus/pci/devices/*; do
	[ -d "$d/p2pmem" ] || continue
	echo "${d##*/} $(cat "$d/p2pmem/size") $(cat "$d/p2pmem/available") $(cat "$d/p2pmem/published")" >> "$R/providers.txt"
done
say "found $(wc -l < "$R/drives.txt") NVMe controllers, $(wc -l < "$R/providers.txt") p2pmem providers"

# The kernel's verdict for every (client, provider) pair.
echo oracle > "$R/stage"
dmesg > "$R/dmesg-boot.txt"
i=0
while read -r cname cserial cbdf cblk; do
	[ "$cblk" = - ] && continue
	while read -r pbdf psize pavail ppub; do
		i=$((i + 1))
		echo "$cbdf $pbdf /dev/$cblk" > "$R/oracle-$i.pair"
		dmesg -C
		timeout 30 "$ORACLE" "/dev/$cblk" "$pbdf" "$LEN" < /dev/null > "$R/oracle-$i.json" 2> "$R/oracle-$i.err"
		echo $? > "$R/oracle-$i.rc"
		dmesg > "$R/oracle-$i.dmesg"
	done < "$R/providers.txt"
done < "$R/drives.txt"
say "oracle ran $i pairs at $(cut -d' ' -f1 /proc/uptime)s"

# Our own answers. Absent or failing commands are recorded, never fatal.
run_p2p() {
	name=$1; shift
	echo "$*" > "$R/p2p-$name.args"
	case " $P2P_COMMANDS bench " in
	*" $1 "*) ;;
	*) echo absent > "$R/p2p-$name.rc"; return ;;
	esac
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout "$CMD_TIMEOUT" "$NODE" "$REPO/bin/p2p.js" "$@" < /dev/null > "$R/p2p-$name.out" 2> "$R/p2p-$name.err"
	echo $? > "$R/p2p-$name.rc"
	echo "$t0 $(cut -d' ' -f1 /proc/uptime)" > "$R/p2p-$name.time"
}
echo p2p > "$R/stage"
run_p2p topo topo --json
run_p2p matrix matrix --json --vfs  # every VF its own row: the oracle has pairs with VFs
run_p2p doctor doctor --json
# Everything p2p read here, for test/lab/snapshot-roundtrip.test.ts to replay on the host.
run_p2p snapshot snapshot -o "$R/snapshot.tar.gz"
if [ -s "$R/bench-args.txt" ]; then
	# Each line: CLIENT_SERIAL PROVIDER_SERIAL ARGS...; {client} {clientDev} {provider} in ARGS
	# become the client's BDF, its block device and the provider's BDF.
	j=0
	while read -r cn pn args; do
		j=$((j + 1))
		cb=$(awk -v s="$cn" '$2 == s { print $3 }' "$R/drives.txt")
		cd=$(awk -v s="$cn" '$2 == s { print $4 }' "$R/drives.txt")
		pb=$(awk -v s="$pn" '$2 == s { print $3 }' "$R/drives.txt")
		args=$(echo "$args" | sed "s|{client}|$cb|g; s|{clientDev}|/dev/$cd|g; s|{provider}|$pb|g")
		# shellcheck disable=SC2086 # one argument list per line, split on blanks
		run_p2p "bench-$j" $args
	done < "$R/bench-args.txt"
fi
say "p2p commands done at $(cut -d' ' -f1 /proc/uptime)s"
[ -n "$UDMABUF_PID" ] && kill "$UDMABUF_PID" 2>/dev/null

dmesg > "$R/dmesg.txt"
cut -d' ' -f1 /proc/uptime > "$R/uptime-end.txt"
echo done > "$R/stage"
sync
umount "$R"
say "powering off"
poweroff_now
