#!/usr/bin/env bash
# Draws meshsim's four kinds of page from scratch and checks each in headless Chromium with
# scripts/check-report.sh: the canary's report, the shop's report, a sweep of the canary over a
# few seeds, and a compare of the synchronous and the asynchronous shop.
#
#   scripts/check-pages.sh [OUT_DIR]
#
# OUT_DIR (default: a new temporary folder) gets the runs in runs/ and each page's screenshots,
# rendered DOM, findings and Chromium log in checks/NAME/.
# The binary is built with `cargo build --release --locked`; MESHSIM=/path/to/meshsim uses one
# already built instead (any profile draws the same pages: the runs are deterministic).
# Exit status: 0 every page passed; 1 a page failed a check or could not be drawn; 2 bad usage.
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ $# -gt 1 ]]; then
  echo "usage: scripts/check-pages.sh [OUT_DIR]" >&2
  exit 2
fi
out=${1:-$(mktemp -d -t meshsim-pages.XXXXXX)}
mkdir -p "$out/runs" "$out/checks"
out=$(cd "$out" && pwd)

if [[ -z ${MESHSIM:-} ]]; then
  cargo build --release --locked --quiet
  MESHSIM=${CARGO_TARGET_DIR:-target}/release/meshsim
fi
if [[ ! -x $MESHSIM ]]; then
  echo "error: no meshsim binary at $MESHSIM" >&2
  exit 2
fi

# 1 means an expectation failed: the page is still drawn, and it is the page under test here.
meshsim() {
  local status=0
  "$MESHSIM" "$@" --no-progress >/dev/null || status=$?
  if [[ $status -ne 0 && $status -ne 1 ]]; then
    echo "error: meshsim $* exited with $status" >&2
    exit 1
  fi
}
echo "drawing the pages into $out/runs" >&2
meshsim run scenarios/canary.toml --out "$out/runs/canary"
meshsim run scenarios/shop.toml --out "$out/runs/shop"
meshsim sweep scenarios/canary.toml --seeds 0..4 --out "$out/runs/canary-sweep"
meshsim compare scenarios/shop-sync.toml scenarios/shop-async.toml --out "$out/runs/compare"

failed=()
for name in canary shop canary-sweep compare; do
  echo "== $name"
  status=0
  scripts/check-report.sh "$out/runs/$name" "$out/checks/$name" || status=$?
  if [[ $status -ne 0 ]]; then
    failed+=("$name")
  fi
done
echo "=="
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAIL  ${#failed[@]} of 4 pages: ${failed[*]} (screenshots and findings in $out/checks)"
  exit 1
fi
echo "ok    4 of 4 pages (screenshots and findings in $out/checks)"
