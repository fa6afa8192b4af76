#!/usr/bin/env bash
# Sets up, builds and runs the whole system: redis-server, the EventService, N WebFrontend
# replicas and a gateway in front of them. Ctrl+C stops everything.
#   ./run.sh [--replicas N] [--port P]      (defaults: 3 replicas, port 8080)
set -euo pipefail
cd "$(dirname "$0")"
. scripts/prerequisites.sh

require_dotnet
ensure_debian_packages redis-server:redis-server

echo "building…"
dotnet build Launcher/AspireSse.Launcher.csproj -c Release -nologo -clp:ErrorsOnly -v quiet
exec dotnet Launcher/bin/Release/net10.0/AspireSse.Launcher.dll "$@"
