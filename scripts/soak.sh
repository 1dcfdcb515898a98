#!/usr/bin/env bash
# Soak: every scenario in scenarios/ over many seeds on both engines. Not part of CI; it runs
# for long. For each scenario and engine it sweeps the seeds twice, once on one thread and once
# on two, and checks:
#   - conservation: every request accounted for in every seed (sweep.csv's `accounted`);
#   - invariants: none broken in any seed (`invariants_broken`);
#   - determinism: both passes give byte-identical rows, every run's digest included;
#   - no crash: each sweep ends with exit code 0 or 1 (1 only says some seed missed one of the
#     scenario's expectations, which are written for the scenario's own seed).
# Then the generated-scenarios property test runs with many cases. It prints one line per
# scenario and engine: seeds, runs, failures, the slowest seed and the peak memory of a sweep.
#
#   scripts/soak.sh                                   # 2,000 seeds on the event engine, 50 on turmoil
#   SOAK_SEEDS=10000 SOAK_TURMOIL_SEEDS=200 scripts/soak.sh
#   SOAK_SCENARIOS="canary shop" scripts/soak.sh      # some scenarios only
#
# Exit code 0 when nothing failed, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

event_seeds="${SOAK_SEEDS:-2000}"
turmoil_seeds="${SOAK_TURMOIL_SEEDS:-50}"
generated_cases="${SOAK_GENERATED_CASES:-5000}"
scenarios="${SOAK_SCENARIOS:-$(ls scenarios | sed 's/\.toml$//' | sort | tr '\n' ' ')}"

cargo build --release --quiet || exit 1
bin=target/release/meshsim
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

column_of() { # the 1-based index of column $2 in the CSV header of $1
  head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1
}

total_runs=0
total_failures=0
soak_start=$(date +%s)
printf '%-18s %-8s %7s %7s %9s %22s %12s %9s\n' \
  scenario engine seeds runs failures "slowest seed (wall s)" "peak memory" "wall s"
for name in $scenarios; do
  file="scenarios/$name.toml"
  for engine in event turmoil; do
    seeds=$event_seeds
    [ "$engine" = turmoil ] && seeds=$turmoil_seeds
    [ "$seeds" -gt 0 ] || continue
    failures=0
    peak_kib=0
    slowest="-"
    slowest_s=0
    start=$(date +%s)
    for jobs in 1 2; do
      out="$work/$name-$engine-$jobs"
      "/usr/bin/time" -f '%M' -o "$work/memory" \
        "$bin" sweep "$file" --seeds "0..$seeds" --jobs "$jobs" --engine "$engine" \
        --no-progress --out "$out" > "$work/stdout" 2> "$work/stderr"
      code=$?
      if [ "$code" -gt 1 ]; then
        echo "  $name on $engine with --jobs $jobs: exit code $code" >&2
        tail -5 "$work/stderr" >&2
        failures=$((failures + seeds))
        continue
      fi
      kib=$(tail -1 "$work/memory")
      [ "$kib" -gt "$peak_kib" ] && peak_kib=$kib
      line=$(grep -o 'the slowest, seed [0-9]*, took [0-9.]* s' "$work/stdout" || true)
      seed=$(echo "$line" | sed -E 's/.*seed ([0-9]+),.*/\1/')
      seconds=$(echo "$line" | sed -E 's/.*took ([0-9.]+) s/\1/')
      if [ -n "$seconds" ] && awk "BEGIN { exit !($seconds > $slowest_s) }"; then
        slowest_s=$seconds
        slowest="$seed ($seconds)"
      fi
      rows="$out/sweep.csv"
      accounted=$(column_of "$rows" accounted)
      broken=$(column_of "$rows" invariants_broken)
      unaccounted=$(tail -n +2 "$rows" | cut -d, -f"$accounted" | grep -vc '^true$')
      with_broken=$(tail -n +2 "$rows" | cut -d, -f"$broken" | grep -vc '^$')
      if [ "$unaccounted" -gt 0 ] || [ "$with_broken" -gt 0 ]; then
        echo "  $name on $engine: $unaccounted seeds not accounted for, $with_broken with broken invariants" >&2
      fi
      failures=$((failures + unaccounted + with_broken))
    done
    one="$work/$name-$engine-1/sweep.csv"
    two="$work/$name-$engine-2/sweep.csv"
    if [ -f "$one" ] && [ -f "$two" ] && ! cmp -s "$one" "$two"; then
      differing=$(diff <(tail -n +2 "$one") <(tail -n +2 "$two") | grep -c '^<')
      echo "  $name on $engine: $differing seeds differ between one thread and two" >&2
      failures=$((failures + differing))
    fi
    runs=$((2 * seeds))
    total_runs=$((total_runs + runs))
    total_failures=$((total_failures + failures))
    printf '%-18s %-8s %7d %7d %9d %22s %9.1f MiB %9d\n' "$name" "$engine" "$seeds" "$runs" \
      "$failures" "$slowest" "$(echo "$peak_kib / 1024" | bc -l)" "$(( $(date +%s) - start ))"
  done
done

echo
echo "generated scenarios: $generated_cases cases of each property"
if ! MESHSIM_GENERATED_CASES="$generated_cases" cargo test --release --quiet \
  --test generated_scenarios > "$work/generated" 2>&1; then
  tail -30 "$work/generated" >&2
  total_failures=$((total_failures + 1))
fi
grep 'test result' "$work/generated"

echo
echo "soak: $total_runs runs, $total_failures failures, $(( $(date +%s) - soak_start )) s wall"
[ "$total_failures" -eq 0 ]
