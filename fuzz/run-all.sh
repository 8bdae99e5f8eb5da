#!/usr/bin/env bash
# Runs each fuzz target in turn for SECS seconds (default 480), niced, one job at a time, with the
# memory and time limits (a single process: the same as -jobs=1 -workers=1, with the log here) that count a unit as a finding. Build first: `cargo +nightly fuzz build -O`
# (and `--features agent` for agent_config). Logs go to logs/<target>.log; crashes to
# artifacts/<target>/.
#
#   ./run-all.sh [SECS] [TARGET...]
set -u
cd "$(dirname "$0")"
secs=${1:-480}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(regex_line json_line changes_line time_value logfmt_line profile_config agent_config)
fi
bin=target/x86_64-unknown-linux-gnu/release
mkdir -p logs
for t in "${targets[@]}"; do
    [ -x "$bin/$t" ] || { echo "$t: not built, skipped"; continue; }
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "$t: ${secs}s from $(date -u +%H:%M:%S)"
    nice -n 19 "$bin/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=16384 \
        -print_final_stats=1 >"logs/$t.log" 2>&1
    echo "$t: exit $? at $(date -u +%H:%M:%S); $(grep -E 'stat::number_of_executed_units|^Done' "logs/$t.log" | tail -1)"
done
