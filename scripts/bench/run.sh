#!/usr/bin/env bash
# npm run bench: every benchmark, each appending its section (command, machine, numbers)
# to BENCHMARKS.md. Run on a quiet machine: the numbers are wall-clock and CPU times.
# `npm run bench -- store plan` runs only the named ones.
set -euo pipefail
cd "$(dirname "$0")/../.."
all=(store collector plan api forecast simulate)
want=("$@"); [ ${#want[@]} -gt 0 ] || want=("${all[@]}")
for b in "${want[@]}"; do
  f=scripts/bench/$b.ts
  [ -f "$f" ] || { echo "bench: no $f" >&2; exit 2; }
  echo "== bench $b"
  case "$b" in
    plan) node --expose-gc --import tsx "$f" --record ;;
    *) npx tsx "$f" --record ;;
  esac
done
