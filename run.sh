#!/usr/bin/env bash
# Sets up, builds and runs the whole system through the Aspire AppHost: redis-server, two
# EventService instances and three WebFrontend replicas behind one URL, with the Aspire dashboard.
# Ctrl+C (or SIGTERM) stops everything it started.
#   ./run.sh [--port P] [--sentinel]   (port: default 8080, 0 picks a free one; --sentinel: a primary,
#                                       a replica and three Sentinels instead of one Redis)
set -euo pipefail
cd "$(dirname "$0")"
. scripts/prerequisites.sh

port=8080
topology=single
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=${2:-}; shift 2 || true ;;
    --port=*) port=${1#--port=}; shift ;;
    --sentinel) topology=sentinel; shift ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see ./run.sh --help)" >&2; exit 2 ;;
  esac
done
if ! [[ $port =~ ^[0-9]+$ ]] || [ "$port" -gt 65535 ]; then
  echo "error: --port needs a port number from 0 to 65535, not '$port'" >&2
  exit 2
fi

require_dotnet
ensure_debian_packages redis-server:redis-server curl:curl pgrep:procps

echo "building…"
dotnet build AppHost/AspireSse.AppHost.csproj -c Release -nologo -clp:ErrorsOnly -v quiet

log=$(mktemp -t aspiresse-apphost.XXXXXX)
# The http launch profile on purpose: a sample on loopback needs no certificate, so nobody is asked
# to trust one (see "Running with Aspire" in README.md).
dotnet run --project AppHost -c Release --no-build --launch-profile http -- --WebFrontend:Port="$port" --Redis:Topology="$topology" >"$log" 2>&1 &
apphost=$!

# Every process group the AppHost's orchestrator (DCP) leads: DCP starts itself in new sessions that
# watch the AppHost (--monitor <pid>), and runs every resource inside them.
dcp_groups() {
  local watched=" $apphost $(pgrep -P "$apphost" 2>/dev/null | tr '\n' ' ')" found=1 pid cmd args w
  local -A seen=()
  while [ $found -eq 1 ]; do
    found=0
    for cmd in /proc/[0-9]*/cmdline; do
      pid=${cmd#/proc/}; pid=${pid%/cmdline}
      [ -n "${seen[$pid]:-}" ] && continue
      args=$({ tr '\0' ' ' <"$cmd"; } 2>/dev/null) || continue
      for w in $watched; do
        if [[ " $args " == *" --monitor $w "* ]]; then
          seen[$pid]=1; watched+=" $pid"; found=1
        fi
      done
    done
  done
  for pid in "${!seen[@]}"; do ps -o pgid= -p "$pid" 2>/dev/null; done | tr -d ' ' | sort -u
}

groups=""
stopping=0
stop() {
  [ $stopping -eq 1 ] && return
  stopping=1
  trap - INT TERM
  echo
  echo "stopping…"
  groups="$groups $(dcp_groups)"
  kill -TERM "$apphost" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$apphost" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$apphost" 2>/dev/null || true
  # DCP stops the resources when the AppHost asks or goes; whatever is left after that is ended here,
  # including a service whose `dotnet run` wrapper died.
  for _ in $(seq 1 40); do
    alive=""
    for g in $groups; do kill -0 -- "-$g" 2>/dev/null && alive="$alive $g"; done
    [ -z "$alive" ] && break
    sleep 0.5
  done
  for g in $alive; do kill -KILL -- "-$g" 2>/dev/null || true; done
  echo "stopped: the AppHost, DCP, redis-server and every service have ended"
  rm -f "$log"
  exit 0
}
trap stop INT TERM

# Whether a tick can be read at the URL within a few seconds, as a user's curl would.
ticking() {
  local received
  received=$(curl -sN --max-time 4 "$1/events" 2>/dev/null || true)
  grep -q '^event: tick' <<<"$received"
}

# The AppHost's own lines, without the routine ones, while waiting for the system to come up.
tail -n +1 -f "$log" --pid "$apphost" 2>/dev/null | grep --line-buffered -E 'fail|error|Error|Login to the dashboard|The page and its stream' &
follower=$!

url=""
for _ in $(seq 1 240); do
  if ! kill -0 "$apphost" 2>/dev/null; then
    kill "$follower" 2>/dev/null || true
    echo "error: the AppHost exited while starting; its output:" >&2
    cat "$log" >&2
    exit 1
  fi
  if [ -z "$url" ]; then
    url=$(grep -o 'The page and its stream: http://[^ ]*' "$log" | head -1 | sed 's/.*: //; s/localhost/127.0.0.1/') || true
  fi
  if [ -n "$url" ] && ticking "$url"; then
    break
  fi
  sleep 1
done
kill "$follower" 2>/dev/null || true
if [ -z "$url" ]; then
  echo "error: the system did not come up within 4 minutes; the AppHost's output is in $log" >&2
  stop
fi

groups=$(dcp_groups)
echo "dashboard: $(grep -o 'http://[^ ]*/login?t=[0-9a-f]*' "$log" | head -1)"
echo "ready: $url"
echo "(Ctrl+C stops everything)"
while kill -0 "$apphost" 2>/dev/null; do
  wait "$apphost" 2>/dev/null || true
done
stop
