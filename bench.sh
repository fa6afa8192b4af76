#!/usr/bin/env bash
# Benchmarks fan-out: our WebFrontend against nginx + nchan and SignalR + Redis, the same workload
# one after another, and writes a table and figures (see the Benchmark section of README.md).
#   ./bench.sh --quick      1 000 and 10 000 clients, short windows, a 10 000-client storm: under 10 minutes
#   ./bench.sh              the full run (10 000 – 100 000 clients and the storm), written to bench/results/
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

# Every client is a socket in the benchmark and another in the server: a process needs an open file
# per client it holds. Root may raise the hard limit; where even root cannot (a container's own
# limit), the benchmark spreads clients over more processes: 18 000 per load generator, 17 000 per
# replica or nginx worker.
want=65536
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
  if ! ulimit -Hn "$want" 2>/dev/null; then
    echo "open files: the hard limit is $hard per process and cannot be raised here (wanted $want)"
    want=$hard
  fi
fi
ulimit -n "$want"
echo "open files: $(ulimit -n) per process (hard limit $(ulimit -Hn))"

echo "building…"
dotnet build bench/AspireSse.Bench/AspireSse.Bench.csproj -c Release -nologo -clp:ErrorsOnly -v quiet
exec dotnet bench/AspireSse.Bench/bin/Release/net10.0/AspireSse.Bench.dll "$@"
