#!/usr/bin/env bash
# The GPU story end to end on an NVIDIA machine, in under 8 minutes: p2p's GPU matrix and legend against
# `nvidia-smi topo -m`, p2p doctor, host <-> GPU copies, GPU -> GPU (two GPUs or more), NVMe -> GPU
# (an NVMe namespace present), and a snapshot of the machine for the test fixtures. Every step reports
# PASS / FAIL / SKIP with its log and the script goes on; the exit status is the number of FAILs.
# Usage: scripts/gpu-check.sh [OUTDIR]   (env P2P: the p2p command, default node bin/p2p.js)
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out" || { echo "cannot create $out" >&2; exit 1; }
read -r -a p2p <<< "${P2P:-node $here/bin/p2p.js}"
fails=0
summary=()

# step NAME SECONDS CMD...: run CMD with a time limit, log to $out/NAME.txt, print the outcome.
step() {
  local name=$1 limit=$2 rc
  shift 2
  printf '== %s: %s\n' "$name" "$*"
  timeout --kill-after=5 "$limit" "$@" > "$out/$name.txt" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ]; then
    summary+=("PASS $name")
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    summary+=("FAIL $name (timed out after ${limit}s)"); fails=$((fails + 1))
  else
    summary+=("FAIL $name (exit $rc)"); fails=$((fails + 1))
  fi
  tail -n 25 "$out/$name.txt"
  return "$rc"
}
skip() {
  summary+=("SKIP $1: $2")
  printf '== %s: skipped (%s)\n' "$1" "$2"
}

if ! command -v nvidia-smi > /dev/null 2>&1; then
  skip nvidia-smi 'no nvidia-smi: not an NVIDIA machine'
  ngpu=0
else
  step nvidia-smi-list 30 nvidia-smi -L
  step nvidia-smi-topo 30 nvidia-smi topo -m
  nvidia-smi --query-gpu=index,pci.bus_id,memory.total --format=csv,noheader > "$out/nvidia-smi-gpus.csv" 2>/dev/null
  ngpu=$(grep -c . "$out/nvidia-smi-gpus.csv" 2>/dev/null)
  ngpu=${ngpu:-0}
  cat /proc/driver/nvidia/version > "$out/nvidia-version.txt" 2>/dev/null
fi
echo "GPUs: $ngpu"

step topo 60 "${p2p[@]}" topo
step matrix 60 "${p2p[@]}" matrix --class gpu,nvme,nic
if [ "$ngpu" -gt 0 ]; then
  # Exit 1 when our legend differs from nvidia-smi's for any pair; the table shows which.
  step gpus-vs-nvidia-smi 60 "${p2p[@]}" gpus --nvidia-smi-topo "$out/nvidia-smi-topo.txt"
  step gpus-json 60 "${p2p[@]}" gpus --json
else
  skip gpus 'no GPU'
fi
# answer NAME: doctor exits 1 on warnings and 2 on failures; that is its answer, not a broken step.
answer() {
  local last=$((${#summary[@]} - 1))
  case "${summary[$last]}" in "FAIL $1 (exit 1)" | "FAIL $1 (exit 2)")
    summary[last]="PASS $1 (it reported warnings or failures: see $out/$1.txt)"
    fails=$((fails - 1)) ;;
  esac
}
step doctor 90 "${p2p[@]}" doctor -v
answer doctor
step doctor-json 90 "${p2p[@]}" doctor --json
answer doctor-json

if [ "$ngpu" -gt 0 ]; then
  step host-gpu 90 "${p2p[@]}" bench host gpu0 --size 256M --duration 8
  step host-gpu-json 90 "${p2p[@]}" bench host gpu0 --size 64M --duration 2 --json
else
  skip host-gpu 'no GPU'
fi
if [ "$ngpu" -ge 2 ]; then
  step gpu-gpu 90 "${p2p[@]}" bench gpu0 gpu1 --size 256M --duration 8
  step gpus-bandwidth 120 "${p2p[@]}" gpus --bandwidth
else
  skip gpu-gpu "$ngpu GPU(s): needs two"
fi

ns=$(find /sys/class/nvme/ -maxdepth 2 -name 'nvme*n*' -printf '%f\n' 2>/dev/null | grep -E '^nvme[0-9]+n[0-9]+$' | sort -V | head -n 1)
if [ "$ngpu" -gt 0 ] && [ -n "$ns" ] && [ -r "/dev/$ns" ]; then
  # Read-only: bench never writes without --write.
  step nvme-gpu 120 "${p2p[@]}" bench "$ns" gpu0 --duration 10 --bs 1M --qd 32
elif [ -n "$ns" ]; then
  skip nvme-gpu "/dev/$ns not readable (run as root) or no GPU"
else
  skip nvme-gpu 'no NVMe namespace'
fi

step snapshot 120 "${p2p[@]}" snapshot -o "$out/snapshot.tar.gz"

echo
echo "== summary ($out)"
printf '  %s\n' "${summary[@]}"
exit "$fails"
