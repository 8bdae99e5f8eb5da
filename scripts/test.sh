#!/usr/bin/env bash
# The test command: installs what the tests need (a venv with DuckDB, pyarrow and moto), builds
# once, runs every test, clippy and rustfmt. Idempotent; run it from anywhere.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Python clients we did not write, to read what we wrote.
bash scripts/venv.sh
export AUDITLAKE_PYTHON="$root/.venv/bin/python"
# A real browser for the console's tests (Debian's Chromium; playwright drives it).
bash scripts/chromium.sh
export AUDITLAKE_CHROMIUM=/usr/bin/chromium

# A real S3-protocol server on 127.0.0.1 for the S3 tests, stopped on exit.
if [ -f scripts/moto.sh ]; then
  eval "$(bash scripts/moto.sh start)"
  trap 'bash scripts/moto.sh stop >/dev/null 2>&1 || true' EXIT
fi

echo "== kubernetes"; bash scripts/validate-k8s.sh
echo "== build"
cargo build --workspace --all-targets --locked
echo "== format"
cargo fmt --all --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== tests"
cargo test --workspace --locked
