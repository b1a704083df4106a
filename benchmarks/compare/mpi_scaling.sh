#!/usr/bin/env bash
# Data-parallel scaling of `bench mlp` (issue 21, docs/distributed.md): two ranks with one thread
# each against one process with one and with two threads.
#
#   benchmarks/compare/mpi_scaling.sh [ROUNDS] [EPOCHS]     (defaults 3 and 4; KIND=cnn|lstm to change the recipe)
#
# Each round runs the three configurations once, in an order that rotates from round to round (so a
# change in the machine's load does not always fall on the same one):
#   t1   ./backprop bench mlp --epochs E --threads 1
#   t2   ./backprop bench mlp --epochs E --threads 2
#   np2  mpirun -np 2 ./backprop bench mlp --epochs E --threads 1
# Epoch 1 is warm-up (JIT, first touch of the data) and is left out; epochs 2..E count. Before each
# run the 1-minute load average is recorded: compare figures only from a quiet machine (load < 0.5
# on 2 cores). Raw output goes to a folder under /tmp (printed at the end); the summary gives each
# configuration's epoch times, their median, the speed-up over t1, and for np2 the all-reduce time
# per epoch and the part of it the steps waited for (exposed; the rest was hidden behind backward).
# MPIRUN_ARGS adds options to mpirun (for instance "--mca btl tcp,self" for TCP on loopback, or
# "--bind-to none"; Open MPI binds each of 2 ranks to its own core by default).
set -euo pipefail

rounds="${1:-3}"
epochs="${2:-4}"
kind="${KIND:-mlp}"
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
cli="$root/backprop"
log="$(mktemp -d /tmp/mpi-scaling-XXXXXX)"

mpirun_args=(--oversubscribe)
if [[ "$(id -u)" == 0 ]]; then
  mpirun_args+=(--allow-run-as-root)
fi
# shellcheck disable=SC2206
mpirun_args+=(${MPIRUN_ARGS:-})

command -v mpirun >/dev/null || { echo "mpi_scaling: mpirun is not installed: apt-get install openmpi-bin libopenmpi-dev" >&2; exit 1; }
"$cli" --help >/dev/null   # build once, before several ranks would wait on the build lock

run() {
  local config="$1" round="$2"
  local out="$log/$config.$round"
  cut -d' ' -f1 /proc/loadavg >"$out.load"
  case "$config" in
    t1) "$cli" bench "$kind" --epochs "$epochs" --threads 1 >"$out.out" 2>"$out.err" ;;
    t2) "$cli" bench "$kind" --epochs "$epochs" --threads 2 >"$out.out" 2>"$out.err" ;;
    np2) mpirun "${mpirun_args[@]}" -np 2 "$cli" bench "$kind" --epochs "$epochs" --threads 1 >"$out.out" 2>"$out.err" ;;
  esac
  echo "round $round $config load $(cat "$out.load"): $(awk '$2 == "epoch" && $3 > 1 { printf "%s ", $NF }' "$out.out")" >&2
}

configs=(t1 t2 np2)
for ((r = 1; r <= rounds; r++)); do
  for ((i = 0; i < 3; i++)); do
    run "${configs[$(((i + r - 1) % 3))]}" "$r"
  done
done

echo "# $kind, $rounds rounds, epochs 2..$epochs; raw output in $log"
t1_median=""
for config in "${configs[@]}"; do
  times="$(cat "$log/$config".*.out | awk '$2 == "epoch" && $3 > 1 { print $NF }' | sort -g)"
  loads="$(cat "$log/$config".*.load | tr '\n' ' ')"
  median="$(echo "$times" | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')"
  [[ "$config" == t1 ]] && t1_median="$median"
  speedup="$(awk -v a="$t1_median" -v b="$median" 'BEGIN { printf "%.2f", a / b }')"
  echo "$config epoch_s $(echo "$times" | tr '\n' ' ')median $median speedup_vs_t1 $speedup load_at_start $loads"
  if [[ "$config" == np2 ]]; then
    cat "$log/np2".*.err | awk '$1 == "ddp" && $3 > 1 { a = a $9 " "; e = e $11 " "; h = h $13 " " } END { print "np2 allreduce_s " a "exposed_s " e "hidden_pct " h }'
  fi
done
