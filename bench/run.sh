#!/usr/bin/env bash
# auditlake benchmarks: ingest rate and memory, archive size, query latency against DuckDB, live
# line-to-object latency. Prints a markdown table and writes bench/results/<date>-<host>.md (and
# .json). See BENCHMARKS.md for what each figure means.
#
#   bash bench/run.sh            # the full run: 1 M and 10 M lines, 10-minute live soak at 50k lines/s
#   bash bench/run.sh --quick    # a few minutes: 100 k and 1 M lines, 40 s live at 20k lines/s
#
# Options: --quick | --full, --steps ingest,peer,size,query,compact,serve,live (any subset), --fresh (measure again,
# ignoring results kept from an earlier run). Sizes from the environment (defaults: full / quick):
#   BENCH_LINES="1000000,10000000"  ingest sizes of auditlake-json logs; the largest is also the
#                                   archive the queries run on        (quick: 100000,1000000)
#   BENCH_PROFILE_LINES=1000000     lines of the other profiles' ingest runs      (quick: 100000)
#   BENCH_DAYS=30 BENCH_USERS=10000 BENCH_IPS=50000 BENCH_START=2026-10-01 BENCH_SEED=7
#   BENCH_RUNS=5                    query runs, the median is reported            (quick: 3)
#   BENCH_LIVE_RATE=50000 BENCH_LIVE_SECS=600                            (quick: 20000 and 40)
#   BENCH_DIR=bench/out             generated logs, archives, kept results (reused across runs)
#
# The run resumes: logs are generated once per set of parameters, and each measured step is kept
# under a key of its parameters and the binary's hash, so a second invocation re-measures only
# what changed (use --fresh to measure everything again).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

mode=full
steps="ingest,peer,size,query,compact,serve,live"
fresh=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --steps) steps="$2"; shift ;;
    --steps=*) steps="${1#--steps=}" ;;
    --fresh) fresh=(--fresh) ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$mode" = quick ]; then
  : "${BENCH_LINES:=100000,1000000}" "${BENCH_PROFILE_LINES:=100000}" "${BENCH_RUNS:=3}"
  : "${BENCH_LIVE_RATE:=20000}" "${BENCH_LIVE_SECS:=40}"
else
  : "${BENCH_LINES:=1000000,10000000}" "${BENCH_PROFILE_LINES:=1000000}" "${BENCH_RUNS:=5}"
  : "${BENCH_LIVE_RATE:=50000}" "${BENCH_LIVE_SECS:=600}"
fi
: "${BENCH_DAYS:=30}" "${BENCH_USERS:=10000}" "${BENCH_IPS:=50000}" "${BENCH_START:=2026-10-01}"
: "${BENCH_SEED:=7}" "${BENCH_DIR:=$root/bench/out}"

echo "bench: building the release binary" >&2
cargo build --release -p auditlake --quiet
bin="$root/target/release/auditlake"

echo "bench: preparing the Python venv (DuckDB)" >&2
bash scripts/venv.sh
py="$root/.venv/bin/python"

if ! command -v zstd >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
      && apt-get install -y -q zstd >/dev/null 2>&1; then
    echo "bench: installed the zstd CLI" >&2
  elif ! "$py" -c 'import zstandard' 2>/dev/null; then
    echo "bench: no zstd CLI; installing Python zstandard into the venv" >&2
    "$root/.venv/bin/pip" install -q --disable-pip-version-check zstandard
  fi
fi
command -v taskset >/dev/null 2>&1 || echo "bench: taskset not found, runs are not pinned" >&2
[ -x /usr/bin/time ] || echo "bench: /usr/bin/time not found, no peak RSS or CPU time for ingest" >&2

exec "$py" "$root/bench/bench.py" \
  --bin "$bin" --work "$BENCH_DIR" --results-dir "$root/bench/results" --mode "$mode" \
  --lines "$BENCH_LINES" --profile-lines "$BENCH_PROFILE_LINES" --days "$BENCH_DAYS" \
  --users "$BENCH_USERS" --ips "$BENCH_IPS" --start "$BENCH_START" --seed "$BENCH_SEED" \
  --runs "$BENCH_RUNS" --live-rate "$BENCH_LIVE_RATE" --live-secs "$BENCH_LIVE_SECS" \
  --steps "$steps" "${fresh[@]}" --command "bench/run.sh $([ "$mode" = quick ] && echo --quick)"
