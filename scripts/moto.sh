#!/usr/bin/env bash
# A local moto S3 server for the S3 tests.
#
#   scripts/moto.sh start    # prints: export AUDITLAKE_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#   scripts/moto.sh stop
#   scripts/moto.sh status
#   eval "$(scripts/moto.sh start)"
#
# Or source it and call the functions: `moto_start` also exports AUDITLAKE_TEST_S3_ENDPOINT in
# the calling shell, `moto_stop` unsets it. Sourcing defines the functions and runs nothing.
#
# The server runs from the virtualenv `.venv/` at the repository root (created when missing;
# `moto[server]` installed only when it is not already importable there), on a free loopback
# port. Its port, pid and log are `.venv/moto.port`, `.venv/moto.pid` and `.venv/moto.log`.
# Both `start` and `stop` are idempotent: `start` re-uses a server that is already answering.

MOTO_VERSION="5.2.5"
MOTO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOTO_VENV="$MOTO_ROOT/.venv"

_moto_log() { echo "moto.sh: $*" >&2; }

# Whether the process in .venv/moto.pid is alive and is a moto server.
_moto_running() {
    local pid
    [[ -f "$MOTO_VENV/moto.pid" ]] || return 1
    pid="$(cat "$MOTO_VENV/moto.pid")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # a recycled pid belongs to some other program: do not claim (or kill) it
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q moto_server
}

# Whether the server on port $1 answers its management api.
_moto_answers() {
    if command -v curl >/dev/null 2>&1; then
        curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$1/moto-api/"
    else
        "$MOTO_VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + sys.argv[1] + '/moto-api/', timeout=2)" "$1" 2>/dev/null
    fi
}

_moto_install() {
    if [[ ! -x "$MOTO_VENV/bin/python" ]]; then
        _moto_log "creating $MOTO_VENV"
        python3 -m venv "$MOTO_VENV" || return 1
    fi
    if ! "$MOTO_VENV/bin/python" -c "import moto, moto.server, flask, werkzeug; assert moto.__version__ == '$MOTO_VERSION'" 2>/dev/null; then
        _moto_log "installing moto[server]==$MOTO_VERSION"
        "$MOTO_VENV/bin/python" -m pip install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2 || return 1
    fi
}

moto_start() {
    local port pid i
    if _moto_running && port="$(cat "$MOTO_VENV/moto.port" 2>/dev/null)" && _moto_answers "$port"; then
        _moto_log "re-using the server on port $port (pid $(cat "$MOTO_VENV/moto.pid"))"
    else
        # a stale server that does not answer is stopped before a new one starts
        moto_stop >/dev/null 2>&1
        _moto_install || { _moto_log "cannot install moto"; return 1; }
        port="$("$MOTO_VENV/bin/python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()")" || return 1
        nohup "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$MOTO_VENV/moto.log" 2>&1 </dev/null &
        pid=$!
        for ((i = 0; i < 150; i++)); do
            if _moto_answers "$port"; then
                break
            fi
            if ! kill -0 "$pid" 2>/dev/null; then
                break
            fi
            sleep 0.2
        done
        if ! _moto_answers "$port"; then
            _moto_log "the server did not start on port $port; its log:"
            tail -n 20 "$MOTO_VENV/moto.log" >&2
            kill "$pid" 2>/dev/null
            return 1
        fi
        echo "$port" >"$MOTO_VENV/moto.port"
        echo "$pid" >"$MOTO_VENV/moto.pid"
        _moto_log "started on port $port (pid $pid)"
    fi
    export AUDITLAKE_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
    echo "export AUDITLAKE_TEST_S3_ENDPOINT=$AUDITLAKE_TEST_S3_ENDPOINT"
}

moto_stop() {
    local pid i
    if _moto_running; then
        pid="$(cat "$MOTO_VENV/moto.pid")"
        kill "$pid" 2>/dev/null
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null
        _moto_log "stopped (pid $pid)"
    fi
    rm -f "$MOTO_VENV/moto.pid" "$MOTO_VENV/moto.port"
    unset AUDITLAKE_TEST_S3_ENDPOINT
    return 0
}

moto_status() {
    local port
    if _moto_running && port="$(cat "$MOTO_VENV/moto.port" 2>/dev/null)" && _moto_answers "$port"; then
        echo "running: http://127.0.0.1:$port (pid $(cat "$MOTO_VENV/moto.pid"))"
    else
        echo "not running"
        return 1
    fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -uo pipefail
    case "${1:-}" in
        start) moto_start ;;
        stop) moto_stop ;;
        status) moto_status ;;
        *)
            echo "usage: $0 start|stop|status" >&2
            exit 2
            ;;
    esac
fi
