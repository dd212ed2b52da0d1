#!/bin/sh
# Every benchmark in full mode, one after another (about forty minutes on 2 cores).
# Each prints its markdown table (kept as bench/results/<name>.md) and writes
# bench/results/<name>.json. Extra arguments go to every script (e.g. --runs 5).
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
mkdir -p bench/results
for name in generate runtime_cold_start api_economy fleet scale explain_rules job_cost; do
    echo "== $name ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    "$PY" "bench/$name.py" "$@" > "bench/results/$name.md"
    cat "bench/results/$name.md"
done
