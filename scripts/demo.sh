#!/usr/bin/env bash
# The medallion demo: runs config/pipelines/medallion.toml on the sample data and prints a
# short summary. Running it again for the same date does no work and says so.
#   scripts/demo.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobhost="$build/bin/jobhost"
date=${DEMO_DATE:-2026-11-28}
pipeline=config/pipelines/medallion.toml
warehouse=.jobhost/warehouse.db
mkdir -p .jobhost

echo "== jobhost run $pipeline --date $date"
set +e
"$jobhost" run "$pipeline" --date "$date" --json > .jobhost/demo-result.json
rc=$?
set -e
python3 - .jobhost/demo-result.json <<'PY' || cat .jobhost/demo-result.json
import json, sys
r = json.load(open(sys.argv[1]))
print(f"\nrun {r['run_id']}: {r['status']} in {r['duration_ms']} ms")
for name, j in r["jobs"].items():
    note = " (done in an earlier run)" if j.get("carried_over") else ""
    err = f"  {j['error']}" if j.get("error") else ""
    print(f"  {name:28} {j['state']:16} {j['duration_ms']:6} ms{note}{err}")
PY
if [ "$rc" -ne 0 ]; then echo "demo pipeline failed (exit $rc)"; exit "$rc"; fi
if command -v sqlite3 >/dev/null; then
  echo
  echo "== a few gold rows from $warehouse"
  sqlite3 -header -column "$warehouse" "SELECT * FROM gold_weather_monthly ORDER BY month LIMIT 5;" || true
  echo
  sqlite3 -header -column "$warehouse" "SELECT * FROM gold_stocks_yearly ORDER BY symbol, year LIMIT 5;" || true
fi
echo
echo "warehouse: $(pwd)/$warehouse   run history: $jobhost runs"
echo "run 'make demo' again: the same date does no work."
