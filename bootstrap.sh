#!/usr/bin/env bash
# Installs Atmosphere Hub into ./.venv on a Debian-family machine, then runs it or its tests.
#   ./bootstrap.sh run [ARGS...]    install, then `atmosphere run ARGS...`
#   ./bootstrap.sh test [ARGS...]   install with test extras, then run the whole test suite
#   ./bootstrap.sh install          install only
# System packages (python3-venv, mosquitto, ...) are installed with apt-get when running as
# root; otherwise the exact command to run is printed and the script stops.
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-run}
[ $# -gt 0 ] && shift

need_debs() {
  local missing=()
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
  if [ "$mode" = test ]; then
    command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
    # the real python-matter-server the Matter tests run (tests/matter_server.py)
    command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
    ldconfig -p 2>/dev/null | grep -q libnl-route-3.so.200 || missing+=(libnl-3-200 libnl-route-3-200)
    ldconfig -p 2>/dev/null | grep -q libgio-2.0.so.0 || missing+=(libglib2.0-0)  # the Matter SDK loads libgio
    [ -x /usr/bin/chromium ] || missing+=(chromium)  # the web UI's browser tests
    ldconfig -p 2>/dev/null | grep -q libatomic.so.1 || missing+=(libatomic1)  # Playwright's node
    ldconfig -p 2>/dev/null | grep -q libgomp.so.1 || missing+=(libgomp1)  # llama.cpp's server
  fi
  printf '%s\n' "${missing[@]:-}" | sed '/^$/d'
}

missing=$(need_debs | tr '\n' ' ' | sed 's/ *$//')
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "bootstrap: installing system packages: $missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "bootstrap: missing system packages. Run this, then try again:" >&2
    echo "  sudo apt-get install -y $missing" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv" >&2
  python3 -m venv .venv
fi
extras=""
[ "$mode" = test ] && extras="[test]"
stamp=.venv/.installed$extras
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing Python packages into .venv (log: .venv/install.log)" >&2
  # The log keeps pip's and setuptools' chatter off the screen; it is shown if pip fails.
  if ! .venv/bin/python -m pip install --disable-pip-version-check -e ".$extras" \
      >.venv/install.log 2>&1; then
    tail -n 40 .venv/install.log >&2
    echo "bootstrap: pip failed; the whole log is in .venv/install.log" >&2
    exit 1
  fi
  touch "$stamp"
fi

case "$mode" in
  install) echo "bootstrap: installed; run .venv/bin/atmosphere --help" >&2 ;;
  run) exec .venv/bin/atmosphere run "$@" ;;
  test)
    # pytest exits 5 when it collected no test: that is a failure too.
    exec .venv/bin/python -m pytest "$@" ;;
  *) echo "usage: $0 run|test|install [ARGS...]" >&2; exit 2 ;;
esac
