#!/usr/bin/env bash
# Regenerates the figures of the README's "## Speed" tables with `meshsim bench` (release
# build): one markdown row per case, then the machine and the date to write above the table.
#
#   scripts/speed-table.sh [RUNS]     # RUNS per case, 5 when omitted (best and median of them)
#
# Each case is a scenario file run RUNS times in one process as `meshsim run` runs it, every
# output written (metrics.csv, events.csv, summary.json, charts, report.html) into a temporary
# folder; `--floor` adds the floor's loop of the same hops where the floor models the scenario.
# The chain's and the scale cases' files are made as `cargo bench` makes them: benches/chain.toml
# (and benches/chain-mesh.toml for the mesh case), and `cargo bench --bench scale -- toml CASE N`.
# Wall time on a shared machine is noisy: run it on a quiet one, and compare builds with paired
# runs (`farm-bench --vs`) rather than with two tables.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
BIN=target/release/meshsim
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet --bin meshsim

# The row of one case: NAME, the file, then `meshsim bench`'s other arguments.
row() {
  local name=$1 file=$2
  shift 2
  "$BIN" bench "$file" --runs "$RUNS" --json "$@" 2>/dev/null | jq -r --arg name "$name" '
    def r(n): (. * pow(10; n) | round) / pow(10; n);
    "| \($name) | \(.sim_s) s, \(.requests) requests | \(.wall_s.best | r(3)) s (median \(.wall_s.median | r(3))) | \(.sim_s_per_wall_s | round) | \(.requests_per_wall_s | round) | \(.events) events, \(.events_per_wall_s / 1e6 | r(2)) M a wall s | \(.ns_per_event | round) | \(.peak_memory_kib / 1024 | r(1)) MiB | \(if .floor then "\(.floor.meshsim_over_floor_best | r(2))× (floor \(.floor.wall_s.best | r(3)) s, \(.floor.ns_per_event | round) ns an event)" else "–" end) |"'
}

sed 's/duration = "60s"/duration = "600s"/' benches/chain.toml > "$WORK/chain-600.toml"
sed 's/\[scenario\]/[scenario]\nmesh = "envoy"/' benches/chain.toml > "$WORK/chain-mesh.toml"
cat benches/chain-mesh.toml >> "$WORK/chain-mesh.toml"
sed -e 's/duration = "12m"/duration = "30m"/' \
  -e 's/arrival = { kind = "poisson", rate = 100 }/arrival = { kind = "poisson", rate = 200 }/' \
  scenarios/canary.toml > "$WORK/canary-30m.toml"
for case in "layers 10" "layers 100" "layers 1000" "chain 300"; do
  cargo bench --quiet --bench scale -- toml $case > "$WORK/scale-${case// /-}.toml" 2>/dev/null
done

echo "Measured with \`scripts/speed-table.sh $RUNS\` on $(lscpu | sed -n 's/^Model name: *//p')" \
  "($(nproc) cores), $(date -u +%Y-%m-%d), at $(git rev-parse --short HEAD)."
echo
echo "| case | simulated | wall time, best of $RUNS | simulated s per wall s | requests per wall s | engine events | ns an event | peak memory | meshsim / floor |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
row "the shop-like chain (\`benches/chain.toml\`)" benches/chain.toml --floor
row "the same with a full mesh policy on every call" "$WORK/chain-mesh.toml" --floor
row "the chain for 600 s" "$WORK/chain-600.toml"
row "a 300-service chain (each request crosses all 300)" "$WORK/scale-chain-300.toml" --floor
row "10 services × 3 replicas, 10,000 requests a second" "$WORK/scale-layers-10.toml" --floor
row "100 services × 3 replicas, the same load and hops" "$WORK/scale-layers-100.toml" --floor
row "1,000 services × 3 replicas, the same load and hops" "$WORK/scale-layers-1000.toml" --floor
row "a 30-minute canary at 200 requests a second" "$WORK/canary-30m.toml" --seed 7
echo
echo "| scenario | simulated | wall time, best of $RUNS | simulated s per wall s | requests per wall s | engine events | ns an event | peak memory | meshsim / floor |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for name in canary blue-green rolling strangler shop-async saga saga-choreography retry-storm messages; do
  row "\`$name\`" "scenarios/$name.toml"
done
