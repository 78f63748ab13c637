#!/usr/bin/env bash
# tlsim against turmoil + tokio-rustls (ring and rustls-rustcrypto) on the
# equal-work bench: 1,000 TLS 1.2 ECDHE-ECDSA P-256 connections, a
# three-certificate chain verified on each, 1 KiB each way, close_notify and
# FIN both ways, 10 ms latency (benches/scenarios/equal-work.ron and
# turmoil-rustls/src/main.rs).
#
# Builds both in release, then runs every contender once per round, the
# rounds one after another (interleaved, so that other load on the machine
# weighs on all alike), each as a whole process. Prints each one's median
# CPU time (user + system) and wall time per connection, and the ratios of
# each peer's to tlsim's: CPU time against tlsim on one thread, wall time
# against tlsim on every core (above 1: tlsim is faster).
#
# Usage: contrib/bench-peers/compare.sh [ROUNDS]   (default 5)
set -euo pipefail

rounds=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
connections=1000

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin tlsim
cargo build --release --quiet --manifest-path "$here/turmoil-rustls/Cargo.toml"
tlsim="$root/target/release/tlsim"
peer="$here/turmoil-rustls/target/release/turmoil-rustls-peer"

scenario="$root/benches/scenarios/equal-work.ron"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The same scenario with the client's verification cache on.
sed 's/verification_cache: false/verification_cache: true/' "$scenario" >"$work/equal-work-cached.ron"

# tlsim on one thread, and on every core (the run's own thread and
# others rehearsing its handshakes); turmoil runs on one thread.
names=(
    "tlsim, verification cache off, 1 thread"
    "tlsim, verification cache on, 1 thread"
    "tlsim, verification cache off, all cores"
    "tlsim, verification cache on, all cores"
    "turmoil+rustls ring, sequential"
    "turmoil+rustls ring, 100 concurrent"
    "turmoil+rustls rustcrypto, sequential"
    "turmoil+rustls rustcrypto, 100 concurrent"
)
commands=(
    "$tlsim sweep $scenario --count 1 --jobs 1"
    "$tlsim sweep $work/equal-work-cached.ron --count 1 --jobs 1"
    "$tlsim sweep $scenario --count 1"
    "$tlsim sweep $work/equal-work-cached.ron --count 1"
    "$peer ring sequential $connections"
    "$peer ring concurrent $connections"
    "$peer rustcrypto sequential $connections"
    "$peer rustcrypto concurrent $connections"
)

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
TIMEFORMAT='%U %S %R'
for ((round = 1; round <= rounds; round++)); do
    for i in "${!commands[@]}"; do
        # `time` reports on stderr: keep only its line.
        { time ${commands[$i]} >/dev/null 2>&1; } 2>>"$work/times.$i"
    done
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

# Median of a column of numbers.
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -a cpu wall
printf '%-44s %14s %14s\n' "µs per connection (median of $rounds)" "CPU" "wall"
for i in "${!commands[@]}"; do
    cpu[$i]=$(awk -v n=$connections '{ print ($1 + $2) * 1e6 / n }' "$work/times.$i" | median)
    wall[$i]=$(awk -v n=$connections '{ print $3 * 1e6 / n }' "$work/times.$i" | median)
    printf '%-44s %14.0f %14.0f\n' "${names[$i]}" "${cpu[$i]}" "${wall[$i]}"
done
echo "Ratios, peer ÷ tlsim with the verification cache off (above 1: tlsim is faster):"
printf '  %-42s %14s %14s\n' "" "CPU, 1 thread" "wall, all cores"
for i in 4 5 6 7; do
    awk -v pc="${cpu[$i]}" -v pw="${wall[$i]}" -v tc="${cpu[0]}" -v tw="${wall[2]}" \
        -v name="${names[$i]}" \
        'BEGIN { printf "  %-42s %14.2f %14.2f\n", name, pc / tc, pw / tw }'
done
