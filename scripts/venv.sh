#!/usr/bin/env bash
# Creates or reuses .venv with the Python packages the tests use. Idempotent and quiet.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
want="duckdb==1.5.5 pyarrow pytz moto[server]==5.2.5 playwright==1.65.2 pymupdf==2.0"
stamp="$venv/.auditlake-requirements"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# shellcheck disable=SC2086
"$venv/bin/pip" install -q --disable-pip-version-check $want
echo "$want" >"$stamp"
