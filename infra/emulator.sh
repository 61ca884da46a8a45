#!/usr/bin/env bash
# The local AWS emulator: moto server on 127.0.0.1:${CRM_EMULATOR_PORT:-4566}, installed into a
# project-local virtualenv (infra/.venv) on first use.
#   infra/emulator.sh start    start it (idempotent: a running emulator is reused)
#   infra/emulator.sh stop     stop the one this script started
#   infra/emulator.sh status
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
state="$here/.state"
port="${CRM_EMULATOR_PORT:-4566}"
url="http://127.0.0.1:$port"
pidfile="$state/moto-$port.pid"
mkdir -p "$state"

ensure_venv() {
  if [ ! -x "$venv/bin/moto_server" ] || ! cmp -s "$here/requirements.txt" "$venv/.requirements.txt"; then
    echo "emulator: installing moto into $venv (first run only)..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/.requirements.txt"
  fi
}

is_moto() {
  # moto serves its own dashboard; anything else on the port is not ours to use.
  # A busy emulator may be slow to answer: try a few times before saying no.
  for _ in 1 2 3; do
    if curl -fsS -m 5 "$url/moto-api/" 2>/dev/null | grep -qi moto; then return 0; fi
    port_taken || return 1
    sleep 1
  done
  return 1
}

port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

start() {
  if is_moto; then
    echo "emulator: already running at $url" >&2
    return 0
  fi
  if port_taken; then
    echo "emulator: port $port is taken by something that is not moto. Free it or set CRM_EMULATOR_PORT." >&2
    exit 1
  fi
  ensure_venv
  nohup "$venv/bin/python" "$here/moto_server.py" 127.0.0.1 "$port" >"$state/moto-$port.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 100); do
    if is_moto; then
      echo "emulator: running at $url (log: infra/.state/moto-$port.log)" >&2
      return 0
    fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "emulator: moto exited during start-up; see infra/.state/moto-$port.log" >&2
      tail -n 20 "$state/moto-$port.log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  echo "emulator: moto did not answer within 20 s; see infra/.state/moto-$port.log" >&2
  exit 1
}

stop() {
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
    echo "emulator: stopped" >&2
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) if is_moto; then echo "running at $url"; else echo "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
