# The start both lab guest inits share (init.sh, probe-init.sh source it as PID 1): PATH, say,
# poweroff_now, the scratch mounts and the results share at $R, the device-memory set-up steps and
# the NVMe drive list.
# The caller sets SAY_AS (its console prefix) first.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

say() { echo "$SAY_AS: $*" > /dev/console 2>/dev/null || echo "$SAY_AS: $*"; }
poweroff_now() {
	sync
	echo o > /proc/sysrq-trigger
	# Wait with builtins only: the 9p root goes away during power-off, so `sleep` could not be
	# run, and PID 1 exiting would panic (harmless, but noisy). The host's timeout still bounds this.
	while :; do :; done
}

# proc, sys, dev, a tmpfs /run with the directories given (besides res and tmp), and the results
# share on /run/res as $R; without the share nothing can be reported, so power off.
mount_lab() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	# Scratch space goes on /run, not /tmp: a checkout under the host's /tmp (CI clones land there)
	# must stay visible to the guest, and nothing under the host's /run is needed here.
	mount -t tmpfs tmpfs /run
	mkdir -p /run/res /run/tmp "$@"
	if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /run/res; then
		say "FATAL cannot mount the results share"
		poweroff_now
	fi
	# shellcheck disable=SC2034 # used by the sourcing script
	R=/run/res
}

# make_namespace NS MODE SECONDS OUT: ndctl turns the NVDIMM's namespace NS into MODE (align 2M,
# no label size); its output in OUT.txt, its exit status in OUT.rc.
make_namespace() {
	timeout "$3" ndctl create-namespace -f -e "$1" -m "$2" -a 2M > "$4.txt" 2>&1
	echo $? > "$4.rc"
}

# veth_rdma VETH PEER PROVIDER: a veth pair, both ends up, and the soft RDMA device PROVIDER0 (rxe,
# siw) over VETH; the status is the first failing step's.
veth_rdma() {
	ip link add "$1" type veth peer name "$2" && ip link set "$1" up && ip link set "$2" up &&
		timeout 30 rdma link add "${3}0" type "$3" netdev "$1"
}

# nvme_drives: one line per NVMe controller: name serial bdf block (- when it has no namespace).
nvme_drives() {
	for c in /sys/class/nvme/nvme*; do
		[ -e "$c" ] || continue
		n=${c##*/}
		serial=$(tr -d ' ' < "$c/serial")
		bdf=$(readlink -f "$c/device"); bdf=${bdf##*/}
		blk=-
		for b in "$c"/"$n"n*; do
			[ -e "$b" ] && { blk=${b##*/}; break; }
		done
		echo "$n $serial $bdf $blk"
	done
}
