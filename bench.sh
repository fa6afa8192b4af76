#!/usr/bin/env bash
# Benchmarks fan-out: our WebFrontend against nginx + nchan and SignalR + Redis, the same workload
# one after another, and writes a table and figures (see the Benchmark section of README.md).
#   ./bench.sh --quick      1 000 and 10 000 clients, short windows: under 5 minutes
#   ./bench.sh              the full run, written to bench/results/
#   ./bench.sh --help       every option
set -euo pipefail
cd "$(dirname "$0")"
. scripts/prerequisites.sh

require_dotnet
ensure_debian_packages redis-server:redis-server
# nchan is one of the peers; without it (and without root to install it) the others still run.
if ! (ensure_debian_packages nginx:nginx /usr/lib/nginx/modules/ngx_nchan_module.so:libnginx-mod-nchan); then
  echo "warning: nginx + nchan are not installed; benchmarking without them" >&2
fi

# Every client is a socket in the benchmark and another in the server: 10 000 clients need more
# open files than the usual default of 1 024. Root may raise the hard limit too.
want=65536
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
  ulimit -Hn "$want" 2>/dev/null || want=$hard
fi
ulimit -n "$want"

echo "building…"
dotnet build bench/AspireSse.Bench/AspireSse.Bench.csproj -c Release -nologo -clp:ErrorsOnly -v quiet
exec dotnet bench/AspireSse.Bench/bin/Release/net10.0/AspireSse.Bench.dll "$@"
