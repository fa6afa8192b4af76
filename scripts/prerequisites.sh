# Sourced by run.sh and test.sh: makes sure the machine has what the project needs.
# Debian packages are installed with apt-get when running as root (or with passwordless sudo);
# otherwise the scripts stop with the command to run.

require_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET SDK (dotnet) is not on PATH. Install the .NET 10 SDK: https://dot.net" >&2
    exit 1
  fi
}

# Usage: ensure_debian_packages what:package [what:package ...]
# "what" is a command (looked up on PATH, /usr/bin and /usr/sbin) or, starting with /, a file the
# package installs (for packages without a command, such as an nginx module).
ensure_debian_packages() {
  local missing=() pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    if [[ $cmd == /* ]]; then
      [ -e "$cmd" ] || missing+=("$pkg")
    elif ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/bin/$cmd" ] && [ ! -x "/usr/sbin/$cmd" ]; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      echo "error: missing Debian package(s): ${missing[*]}" >&2
      echo "       install them with: sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi

  echo "installing Debian package(s): ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
