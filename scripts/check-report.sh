#!/usr/bin/env bash
# Opens one of meshsim's pages (a run's report.html, a sweep's sweep.html, a compare's page) in
# headless Chromium, offline, and checks what a reader would see. For a person to look at: a
# screenshot at desktop width and one at phone width. For the machine, at a 1200 × 900 and a
# 420 × 800 viewport: the headline (id="headline") is on the first screen, every chart (<svg>,
# <img>) is drawn with a non-zero size, nothing is fetched, and nothing goes to the console as
# an error. It also checks that the rendered DOM holds the page's headings.
#
#   scripts/check-report.sh [PAGE | FOLDER] [OUT_DIR]
#
# PAGE: an .html file. FOLDER: a run's folder (summary.json, report.html), a sweep's (sweep.html)
#   or a compare's (differences.csv and its page). Without either, the script runs
#   `meshsim run scenarios/circuit-breaker.toml` into a temporary folder first.
# OUT_DIR: where the screenshots, the DOM, the findings (KIND.check-WxH.tsv) and Chromium's log go
#   (default: a new temporary folder).
#
# When a run's folder has no report.html (a run written by an older build), `meshsim report DIR`
# draws it from the run's files first. Chromium is $CHROMIUM, else `chromium` on the PATH.
# Exit status: 0 every check passed; 1 one failed; 2 bad usage.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
CHROMIUM=${CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}
if [[ ! -x $CHROMIUM ]]; then
  echo "error: no Chromium at $CHROMIUM" >&2
  echo "hint: install Debian's chromium package, or set CHROMIUM=/path/to/chromium" >&2
  exit 2
fi
if [[ $# -gt 2 ]]; then
  echo "usage: scripts/check-report.sh [PAGE | FOLDER] [OUT_DIR]" >&2
  exit 2
fi

target=${1:-}
if [[ -z $target ]]; then
  target=$(mktemp -d -t meshsim-run.XXXXXX)
  echo "running scenarios/circuit-breaker.toml into $target" >&2
  status=0
  cargo run --quiet --release -- run scenarios/circuit-breaker.toml --out "$target" \
    --no-progress >/dev/null || status=$?
  # 1 means an expectation failed: the run is still there to report on.
  if [[ $status -ne 0 && $status -ne 1 ]]; then
    echo "error: meshsim run exited with $status" >&2
    exit 1
  fi
fi

# What the page is: `report` (a run's), `sweep`, `compare`, or any other `page`.
if [[ -d $target ]]; then
  dir=$(cd "$target" && pwd)
  if [[ -f $dir/summary.json ]]; then
    kind=report page=$dir/report.html
    if [[ ! -f $page ]]; then
      echo "no report.html in $dir: drawing it with meshsim report" >&2
      cargo run --quiet --release -- report "$dir" >/dev/null
    fi
  elif [[ -f $dir/sweep.html ]]; then
    kind=sweep page=$dir/sweep.html
  elif [[ -f $dir/compare.html ]]; then
    kind=compare page=$dir/compare.html
  elif [[ -f $dir/differences.csv && -f $dir/report.html ]]; then
    kind=compare page=$dir/report.html
  else
    echo "error: $target is not the folder of a run, a sweep or a compare" >&2
    echo "hint: pass the folder meshsim run, sweep or compare wrote (--out DIR), or a page" >&2
    exit 2
  fi
elif [[ -f $target && $target == *.html ]]; then
  dir=$(cd "$(dirname "$target")" && pwd)
  page=$dir/$(basename "$target")
  case $(basename "$page") in
    sweep.html) kind=sweep ;;
    compare.html) kind=compare ;;
    *)
      if [[ -f $dir/differences.csv ]]; then
        kind=compare
      elif [[ -f $dir/summary.json && $(basename "$page") == report.html ]]; then
        kind=report
      else
        kind=page
      fi
      ;;
  esac
else
  echo "error: $target is neither an .html file nor a folder" >&2
  echo "usage: scripts/check-report.sh [PAGE | FOLDER] [OUT_DIR]" >&2
  exit 2
fi

out_dir=${2:-$(mktemp -d -t meshsim-check-report.XXXXXX)}
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
log=$out_dir/$kind.chromium.log
: >"$log"

work=$(mktemp -d -t meshsim-chromium.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Every host name resolves to nothing, so a page that tried to fetch anything would show it.
# A browser that hangs is stopped after two minutes.
chromium() {
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$work/profile" --host-resolver-rules="MAP * ~NOTFOUND" \
    --enable-logging=stderr --v=0 "$@" 2>>"$log"
}

failures=0
ok() { echo "ok    $*"; }
fail() {
  echo "FAIL  $*"
  failures=$((failures + 1))
}

# A viewport of exactly W × H: the page in a W × H frame, without scroll bars, as on a phone.
# (A headless window is at least 500 wide, and its viewport is shorter than the window:
# --window-size alone cannot give one.)
frame() {
  local src=$1 width=$2 height=$3
  cat <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8">
<style>html, body { margin: 0; } iframe { display: block; border: 0; }</style></head>
<body><iframe src="$src" width="$width" height="$height" scrolling="no"></iframe>
<pre id="meshsim-check"></pre>
<script>
// One line per finding, tab-separated, for the shell script to read from the dumped DOM.
addEventListener("message", function (event) {
  if (typeof event.data !== "string" || event.data.indexOf("meshsim-check:") !== 0) return;
  var v = JSON.parse(event.data.slice("meshsim-check:".length));
  var one = function (s) { return String(s).replace(/\s+/g, " "); };
  var lines = ["viewport\t" + v.viewport.join("\t"), "charts\t" + v.charts];
  lines.push(v.headline ? "headline\t" + v.headline.top + "\t" + v.headline.height : "headline");
  v.emptyCharts.forEach(function (s) { lines.push("empty\t" + one(s)); });
  v.fetched.forEach(function (s) { lines.push("fetched\t" + one(s)); });
  v.errors.forEach(function (s) { lines.push("error\t" + one(s)); });
  document.getElementById("meshsim-check").textContent = "\n" + lines.join("\n") + "\n";
});
</script></body></html>
EOF
}

# The page with the probe (scripts/check-report-probe.js) put first in its <head>: after a
# <meta charset> there (which must stay in the first 1024 bytes), before anything else. The copy
# is alone in its folder, so a page that leans on a file beside it fails to load it.
inject() {
  awk -v probe="$root/scripts/check-report-probe.js" '
    { line[NR] = $0 }
    function put(i, at,   l) {
      for (l = 1; l < i; l++) print line[l]
      print substr(line[i], 1, at)
      print "<script>"
      while ((getline l < probe) > 0) print l
      print "</script>"
      print substr(line[i], at + 1)
      for (l = i + 1; l <= NR; l++) print line[l]
    }
    END {
      head = 0
      for (i = 1; i <= NR; i++) {
        lower = tolower(line[i])
        if (!head && match(lower, /<head([ \t][^>]*)?>/)) {
          head = i
          head_at = RSTART + RLENGTH - 1
        }
        if (head && match(lower, /<meta[^>]*charset[^>]*>/)) { put(i, RSTART + RLENGTH - 1); exit }
        if (head && (lower ~ /<script|<\/head>|<body/)) break
      }
      if (head) { put(head, head_at); exit }
      for (i = 1; i <= NR; i++) {
        if (match(tolower(line[i]), /<!doctype[^>]*>/)) { put(i, RSTART + RLENGTH - 1); exit }
      }
      put(1, 0)
    }' "$1"
}

# The machine checks at one viewport.
measure() {
  local width=$1 height=$2 size="$1x$2" found
  frame page.html "$width" "$height" >"$work/frame-$size.html"
  chromium --window-size=$((width + 100)),$((height + 300)) --virtual-time-budget=10000 \
    --dump-dom "file://$work/frame-$size.html" >"$work/frame-$size.dom.html" || true
  # The lines of the <pre>, once the probe filled it (they start on the line after its tag).
  awk '/<\/pre>/ { on = 0 } on && NF { print } /<pre id="meshsim-check">$/ { on = 1 }' \
    "$work/frame-$size.dom.html" |
    sed 's/&lt;/</g; s/&gt;/>/g; s/&nbsp;/ /g; s/&amp;/\&/g' >"$out_dir/$kind.check-$size.tsv"
  local result=$out_dir/$kind.check-$size.tsv
  if ! grep -q '^viewport' "$result"; then
    fail "at $size: the page did not load or the probe did not report (see $log)"
    grep -F 'CONSOLE' "$log" | sed 's/^/      /' || true
    return
  fi
  local top rest viewport
  viewport=$(sed -n 's/^viewport	//p' "$result" | tr '\t' 'x')
  if [[ $viewport != "$size" ]]; then
    fail "at $size: the page had a $viewport viewport, not $size"
  fi
  if ! grep -q '^headline	' "$result"; then
    fail "at $size: the headline: the page has no element with id=\"headline\""
  else
    read -r top rest < <(sed -n 's/^headline	//p' "$result" | tr '\t' ' ')
    if [[ $rest -le 0 ]]; then
      fail "at $size: the headline has no height"
    elif [[ $top -lt $height ]]; then
      ok "at $size: the headline is on the first screen (its top at $top px of $height)"
    else
      fail "at $size: the headline is not on the first screen (its top at $top px, below $height)"
    fi
  fi
  local charts
  charts=$(sed -n 's/^charts	//p' "$result")
  if [[ $charts -eq 0 ]]; then
    fail "at $size: no chart: the page has no <svg> or <img>"
  elif found=$(grep '^empty	' "$result"); then
    fail "at $size: charts drawn empty or not at all: $(grep -c '^empty' "$result") of $charts"
    cut -f2- <<<"$found" | sed 's/^/      /'
  else
    ok "at $size: every chart drawn with a non-zero size ($charts <svg> and <img>)"
  fi
  if found=$(grep '^fetched	' "$result"); then
    fail "at $size: the page fetches what it does not hold"
    cut -f2- <<<"$found" | sed 's/^/      /'
  else
    ok "at $size: nothing fetched"
  fi
  if found=$(grep '^error	' "$result"); then
    fail "at $size: console errors"
    cut -f2- <<<"$found" | sed 's/^/      /'
  else
    ok "at $size: no console error"
  fi
}

# Screenshots for a person, at desktop width and at phone width, and the rendered DOM.
shoot() {
  local file=$1 width=$2 height=$3
  frame "file://$page" "$width" "$height" >"$work/shot-$width.html"
  if ! chromium --screenshot="$file" --window-size="$width,$height" \
    "file://$work/shot-$width.html" >/dev/null || [[ ! -s $file ]]; then
    fail "no screenshot $file (see $log)"
  fi
}
shoot "$out_dir/$kind.png" 1200 3000
shoot "$out_dir/$kind-narrow.png" 420 2400
dom=$out_dir/$kind.dom.html
chromium --dump-dom "file://$page" >"$dom" || true

contains() {
  local what=$1 pattern=$2
  if grep -qF -- "$pattern" "$dom"; then
    ok "$what"
  else
    fail "$what: the rendered page lacks $pattern"
  fi
}
case $kind in
  report)
    # The name as the DOM serializes it: &, < and > escaped, quotes as they are.
    scenario=$(sed -n 's/^  "scenario": "\(.*\)",$/\1/p' "$dir/summary.json" |
      sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
    contains "the scenario's name as the title" "<h1>$scenario</h1>"
    for heading in Expectations Workloads Services Charts Events; do
      contains "heading $heading" "<h2>$heading</h2>"
    done
    ;;
  sweep) contains "heading Charts" "<h2>Charts</h2>" ;;
  compare)
    for heading in Runs Differences Charts; do
      contains "heading $heading" "<h2>$heading</h2>"
    done
    ;;
esac
static=ok
for url in "http://" "https://" "<link" "src="; do
  if grep -qF -- "$url" "$page"; then
    fail "$(basename "$page") holds $url: it is not self-contained"
    static=fail
  fi
done
if [[ $static == ok ]]; then
  ok "$(basename "$page") holds no http://, https://, <link or src="
fi

inject "$page" >"$work/page.html"
measure 1200 900
measure 420 800

size() { wc -c <"$1" | tr -d ' '; }
echo "page     $page ($(size "$page") bytes)"
for pair in "png:$out_dir/$kind.png" "narrow:$out_dir/$kind-narrow.png" "dom:$dom"; do
  if [[ -f ${pair#*:} ]]; then
    printf '%-8s %s (%s bytes)\n' "${pair%%:*}" "${pair#*:}" "$(size "${pair#*:}")"
  fi
done
echo "log      $log"
if [[ $failures -gt 0 ]]; then
  echo "$failures checks failed" >&2
  exit 1
fi
