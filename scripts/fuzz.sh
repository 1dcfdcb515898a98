#!/usr/bin/env bash
# Fuzzes scenario loading, validation and the first moments of a run (fuzz/fuzz_targets/load.rs)
# with cargo-fuzz and libFuzzer. Not part of CI: it needs nightly Rust and runs for long.
#
#   scripts/fuzz.sh                 # a million executions
#   scripts/fuzz.sh 10000000        # ten million
#
# The corpus starts from every scenario the project has (scenarios/, the test fixtures, the
# examples); the dictionary is every key and table name of docs/scenario-format.md, so mutations
# speak the format. A crash, a timeout (10 s) or an allocation past 2 GiB stops the run and
# leaves the input in fuzz/artifacts/load/; keep it as a regression test in
# tests/fixtures/fuzz/ (tests/fuzz_findings.rs loads every file there).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-1000000}"

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal

corpus=fuzz/corpus/load
mkdir -p "$corpus"
find scenarios tests/fixtures examples -name '*.toml' | sort | while read -r file; do
  cp "$file" "$corpus/seed-$(echo "$file" | tr '/' '_')"
done

dictionary=fuzz/load.dict
# libFuzzer's dictionary: one quoted token a line, `"` and `\` escaped, other bytes as \xNN.
{
  grep -o '`[a-z_][a-z_0-9.]*`' docs/scenario-format.md | tr -d '`'
  grep -o '\[\[*[a-z_.]*\]\]*' docs/scenario-format.md
  printf '%s\n' ' = ' '"1s"' '"10ms"' '"exp"' '"const"' '"lognormal"' '"uniform"' \
    '"poisson"' '"closed"' '{ ' ' }' '[' ']' '0.5' '1e9' '-1' '18446744073709551615'
} | sort -u | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&"/' > "$dictionary"
echo '"\x0A"' >> "$dictionary"

cargo +nightly fuzz run load "$corpus" -- \
  -runs="$runs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -dict="$dictionary" -print_final_stats=1
