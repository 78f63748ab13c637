#!/usr/bin/env bash
# A sweep split over a real Slurm job array equals the sweep run whole.
#
# Starts a single-node cluster on localhost from a generated configuration
# in a temporary folder (munged, slurmctld, slurmd, on ports of its own),
# submits contrib/slurm/sweep.sbatch as an array of shards, waits for it,
# merges the shards and compares the result, text and JSON lines (and a
# grid's CSV), with the unsharded sweep, for a sweep of seeds and a grid. Stops exactly the daemons it started. Installs Debian's
# slurm-wlm and munge when they are missing (needs root and apt).
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=scenarios/tcp-lossy.ron
count=40
shards=4

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    echo "== installing slurm-wlm munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

cargo build --quiet --bin tlsim
tlsim=$PWD/target/debug/tlsim

work=$(mktemp -d)
chmod 700 "$work"
pids=()
stop() {
    status=$?
    # Newest first: the node, then the controller, then munge.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    if [ "$status" -ne 0 ]; then
        for log in "$work"/*.log; do
            [ -f "$log" ] && { echo "--- $log"; tail -n 30 "$log"; } >&2
        done
    fi
    rm -rf "$work"
    exit "$status"
}
trap stop EXIT

mkdir -p "$work/munge" "$work/state" "$work/spool" "$work/out"
chmod 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
socket=$work/munge/munge.socket
munged --foreground --force --key-file="$work/munge/munge.key" --socket="$socket" \
    --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed" \
    --log-file="$work/munged.log" 2>>"$work/munged.log" &
pids+=($!)

node=$(hostname -s)
cat >"$work/slurm.conf" <<EOF
ClusterName=tlsimci
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=ci Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$work/slurm.conf

# Munge answers before Slurm starts.
for _ in $(seq 50); do
    [ -S "$socket" ] && break
    sleep 0.2
done
slurmctld -D -i -f "$SLURM_CONF" 2>>"$work/slurmctld.log" &
pids+=($!)
slurmd -D -f "$SLURM_CONF" 2>>"$work/slurmd.log" &
pids+=($!)

# The node is ready when the controller reports it idle.
for _ in $(seq 150); do
    sinfo --noheader --nodes="$node" --format=%t 2>/dev/null | grep -qx idle && break
    sleep 0.2
done
sinfo --noheader --nodes="$node" --format=%t | grep -qx idle \
    || { echo "the Slurm node never became idle" >&2; exit 1; }

# A sweep of seeds, then a grid: each split into shards, merged, compared.
slurm_sweep() {
    local kind=$1 out=$work/out-$1
    shift
    echo "== sbatch --array=1-$shards contrib/slurm/sweep.sbatch $scenario $count $*"
    TLSIM=$tlsim TLSIM_SWEEP_OUT=$out \
        sbatch --wait --quiet --array=1-$shards --chdir="$PWD" \
        --output="$work/task-%a.log" contrib/slurm/sweep.sbatch "$scenario" "$count" "$@"
    shopt -s nullglob
    local got=("$out"/shard-*.jsonl)
    [ ${#got[@]} -eq $shards ] || { echo "expected $shards shards, found ${#got[@]}" >&2; exit 1; }
    local formats=(text jsonl)
    [ $# -gt 0 ] && formats+=(csv)
    for format in "${formats[@]}"; do
        whole=0
        "$tlsim" sweep "$scenario" --count "$count" "$@" --format $format --quiet >"$work/whole.$format" || whole=$?
        merged=0
        "$tlsim" sweep --merge "${got[@]}" --format $format >"$work/merged.$format" || merged=$?
        if [ "$whole" -ne "$merged" ] || ! cmp -s "$work/whole.$format" "$work/merged.$format"; then
            echo "merged shards differ from the whole sweep ($format; exit $merged, expected $whole)" >&2
            diff "$work/whole.$format" "$work/merged.$format" >&2 || true
            exit 1
        fi
    done
    echo "Slurm: $shards shards of a $kind sweep of $count seeds, merged, equal the whole sweep (exit $whole)"
}
slurm_sweep seeds
slurm_sweep grid --vary 'links[0].conditions.loss=0,0.02' --vary 'links[0].conditions.latency=5ms,50ms'
