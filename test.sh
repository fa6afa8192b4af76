#!/usr/bin/env bash
# Sets up, builds and runs every test project, then prints one line: N passed, N failed, N skipped.
#   ./test.sh
set -uo pipefail
cd "$(dirname "$0")"
. scripts/prerequisites.sh

require_dotnet
# The browser tests drive the system Chromium (Playwright cannot download its own everywhere).
ensure_debian_packages redis-server:redis-server chromium:chromium

passed=0 failed=0 skipped=0
results="$PWD/TestResults"
rm -rf "$results"
mkdir -p "$results"
# Tests append what they measured here ("faults: …" per fault scenario, "telemetry: …" per trace
# checked); the lines are repeated at the end.
export ASPIRESSE_REPORT_LOG="$results/report.log"

summary() {
  echo "$passed passed, $failed failed, $skipped skipped"
}

echo "building…"
if ! dotnet build AspireSse.sln -c Release -nologo -clp:ErrorsOnly -v quiet; then
  echo "error: the build failed"
  failed=1
  summary
  exit 1
fi

# Adds one project's counts from its TRX file to the totals.
count_results() {
  local trx=$1 name=$2 counters total p f
  counters=$(grep -o '<Counters [^>]*>' "$trx" 2>/dev/null | head -1)
  if [ -z "$counters" ]; then
    echo "error: $name produced no results (the test host crashed or hung)"
    failed=$((failed + 1))
    return
  fi
  total=$(sed -E 's/.* total="([0-9]+)".*/\1/' <<<"$counters")
  p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
  f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + total - p - f))
}

# Each failed test in the TRX files, with the first line of its message.
failed_tests() {
  awk '
    /<UnitTestResult / && /outcome="Failed"/ {
      match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); want = 1; next
    }
    want && /<Message>/ {
      sub(/.*<Message>/, ""); sub(/<\/Message>.*/, "")
      gsub(/&quot;/, "\""); gsub(/&apos;/, "\047"); gsub(/&lt;/, "<"); gsub(/&gt;/, ">"); gsub(/&amp;/, "\\&")
      print "  " name ": " substr($0, 1, 600); want = 0
    }' "$results"/*.trx
}

# Every test project in the solution, one after another: they start real processes, and two cores
# are better spent on one project at a time.
for project in $(grep -o '"tests[^"]*Tests\.csproj"' AspireSse.sln | tr -d '"' | sed 's|\\|/|g'); do
  name=$(basename "$project" .csproj)
  echo
  echo "== $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=$name.trx" \
    --results-directory "$results" --blame-hang-timeout 10m
  count_results "$results/$name.trx" "$name"
done

if [ -s "$ASPIRESSE_REPORT_LOG" ]; then
  echo
  echo "== what the tests measured"
  cat "$ASPIRESSE_REPORT_LOG"
fi

if compgen -G "$results/screenshots/*.png" >/dev/null; then
  echo
  echo "== screenshots of the page, taken by the browser tests"
  ls "$results"/screenshots/*.png
fi

# CI shows only the end of the output, so the failures are named again just above the totals.
if [ "$failed" -gt 0 ]; then
  echo
  echo "== failed tests"
  failed_tests
fi

echo
summary
[ "$failed" -eq 0 ]
