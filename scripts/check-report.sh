#!/usr/bin/env bash
# Opens a run's report.html in headless Chromium, offline, and checks what a reader would see:
# a screenshot at desktop width and one at phone width to look at, and the rendered DOM, which
# must hold the report's headings and at least one inline <svg>.
#
#   scripts/check-report.sh [RUN_DIR] [OUT_DIR]
#
# RUN_DIR: a run's folder (summary.json, metrics.csv, events.csv). Without it, the script runs
#   `meshsim run scenarios/circuit-breaker.toml` into a temporary folder first.
# OUT_DIR: where the screenshots and the DOM go (default: a new temporary folder).
#
# When RUN_DIR has no report.html (a run written by an older build), `meshsim report RUN_DIR`
# draws it from the run's files first.
# Exit status: 0 the page rendered and holds what it should; 1 it does not; 2 bad usage.
set -euo pipefail

cd "$(dirname "$0")/.."
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $CHROMIUM ]]; then
  echo "error: no Chromium at $CHROMIUM" >&2
  echo "hint: set CHROMIUM=/path/to/chromium" >&2
  exit 2
fi

run_dir=${1:-}
if [[ -z $run_dir ]]; then
  run_dir=$(mktemp -d -t meshsim-run.XXXXXX)
  echo "running scenarios/circuit-breaker.toml into $run_dir" >&2
  status=0
  cargo run --quiet --release -- run scenarios/circuit-breaker.toml --out "$run_dir" \
    --no-progress >/dev/null || status=$?
  # 1 means an expectation failed: the run is still there to report on.
  if [[ $status -ne 0 && $status -ne 1 ]]; then
    echo "error: meshsim run exited with $status" >&2
    exit 1
  fi
fi
if [[ ! -f $run_dir/summary.json ]]; then
  echo "error: $run_dir has no summary.json" >&2
  echo "hint: pass the folder a meshsim run wrote (--out DIR)" >&2
  exit 2
fi
run_dir=$(cd "$run_dir" && pwd)
out_dir=${2:-$(mktemp -d -t meshsim-check-report.XXXXXX)}
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

report=$run_dir/report.html
if [[ ! -f $report ]]; then
  echo "no report.html in $run_dir: drawing it with meshsim report" >&2
  cargo run --quiet --release -- report "$run_dir" >/dev/null
fi

profile=$(mktemp -d -t meshsim-chromium.XXXXXX)
trap 'rm -rf "$profile"' EXIT
# Every host name resolves to nothing, so a page that tried to fetch anything would show it.
chromium() {
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --host-resolver-rules="MAP * ~NOTFOUND" "$@" 2>>"$out_dir/chromium.log"
}
chromium --screenshot="$out_dir/report.png" --window-size=1200,3000 "file://$report" >/dev/null
chromium --screenshot="$out_dir/report-narrow.png" --window-size=420,2400 "file://$report" \
  >/dev/null
chromium --dump-dom "file://$report" >"$out_dir/report.dom.html"

failures=0
check() {
  local what=$1 pattern=$2
  if grep -qF -- "$pattern" "$out_dir/report.dom.html"; then
    echo "ok    $what"
  else
    echo "FAIL  $what: the rendered page lacks $pattern"
    failures=$((failures + 1))
  fi
}
# The name as the DOM serializes it: &, < and > escaped, quotes as they are.
scenario=$(sed -n 's/^  "scenario": "\(.*\)",$/\1/p' "$run_dir/summary.json" |
  sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
check "the scenario's name as the title" "<h1>$scenario</h1>"
for heading in Expectations Workloads Services Charts Events; do
  check "heading $heading" "<h2>$heading</h2>"
done
check "an inline chart" "<svg"
for url in "http://" "https://" "<link" "src="; do
  if grep -qF -- "$url" "$report"; then
    echo "FAIL  report.html holds $url: it is not self-contained"
    failures=$((failures + 1))
  fi
done

size() { wc -c <"$1" | tr -d ' '; }
echo "report   $report ($(size "$report") bytes)"
echo "png      $out_dir/report.png ($(size "$out_dir/report.png") bytes)"
echo "narrow   $out_dir/report-narrow.png ($(size "$out_dir/report-narrow.png") bytes)"
echo "dom      $out_dir/report.dom.html ($(size "$out_dir/report.dom.html") bytes)"
if [[ $failures -gt 0 ]]; then
  echo "$failures checks failed" >&2
  exit 1
fi
