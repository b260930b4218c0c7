#!/usr/bin/env bash
# npm run bench: every benchmark, each writing its section (command, machine, numbers)
# into BENCHMARKS.md in place of its previous run. Run on a quiet machine: the numbers are wall-clock and CPU times.
# `npm run bench -- store plan` runs only the named ones.
set -euo pipefail
cd "$(dirname "$0")/../.."
all=(store collector plan api forecast-backtest forecast-train forecast-api simulate app-history)
want=("$@"); [ ${#want[@]} -gt 0 ] || want=("${all[@]}")
for b in "${want[@]}"; do
  echo "== bench $b"
  case "$b" in
    plan) node --expose-gc --import tsx scripts/bench/plan.ts --record ;;
    forecast-backtest) npx tsx scripts/bench/forecast.ts backtest --record ;;
    forecast-train) npx tsx scripts/bench/forecast.ts train --record ;;
    store | collector | api | forecast-api | simulate | app-history) npx tsx "scripts/bench/$b.ts" --record ;;
    *) echo "bench: unknown benchmark $b (known: ${all[*]})" >&2; exit 2 ;;
  esac
done
