#!/usr/bin/env bash
# npm run demo: virtzone end to end in about two minutes, on this machine, with no VMs
# of your own at risk:
#   1. the real Bitbrains traces (32 VMs, 3 months) are imported as history, shifted so
#      they end this week;
#   2. virtzoned runs against libvirt's test driver (real libvirt, in-process) with one
#      domain per trace VM, whose CPU and memory use is replayed from the trace at 300x;
#   3. the forecaster trains on the history (LSTM + baselines), the partitioner sizes
#      the zones from its forecast, and the auto-scaler follows the replayed load;
#   4. a burst of placement requests goes through the router and the overflow manager.
# Point it at a real host instead: see "Run it on a real host" in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TRACE=${VIRTZONE_TRACE:-$(cd "$ROOT/../shared/traces/bitbrains-rnd" 2>/dev/null && pwd || true)}
[ -n "$TRACE" ] && [ -d "$TRACE" ] || { echo "demo: trace folder not found; set VIRTZONE_TRACE=DIR" >&2; exit 2; }
DEMO=${VIRTZONE_DEMO_DIR:-/tmp/virtzone-demo}
SPEED=${VIRTZONE_DEMO_SPEED:-300}
rm -rf "$DEMO"; mkdir -p "$DEMO"
export VIRTZONE_SOCKET=$DEMO/virtzoned.sock
vz() { node "$ROOT/dist/cli/virtzone.js" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. the host: one libvirt test-driver domain per trace VM"
npx tsx scripts/demo/host.ts --trace "$TRACE" --out "$DEMO/host.xml" --cpus 64 --memory-gib 256
cat > "$DEMO/virtzoned.yaml" <<YAML
libvirt: { uri: "test://$DEMO/host.xml" }
store: { path: "$DEMO/virtzone.db" }
api: { socket: "$DEMO/virtzoned.sock" }
collect: { intervalSeconds: 2 }
autoscaler: { intervalSeconds: 5, cooldownSeconds: 20, growCooldownSeconds: 10 }
zones: { manageCgroups: false }   # the test driver runs no processes: no cgroups to manage
forecast: { epochs: 3 }
host: { reserve: { cpuCores: 2, memoryMiB: 4096 } }
log: { level: warn }
YAML

say "2. history: import the real traces (shifted to end this week)"
vz import-trace --format bitbrains "$TRACE" --db "$DEMO/virtzone.db" --shift-to-now --config "$DEMO/virtzoned.yaml"

say "3. start virtzoned (trace replay at ${SPEED}x)"
node dist/daemon/bin/virtzoned.js --config "$DEMO/virtzoned.yaml" --demo-replay "$TRACE" --demo-speed "$SPEED" > "$DEMO/virtzoned.log" 2>&1 &
DAEMON=$!
trap 'kill $DAEMON 2>/dev/null || true; wait $DAEMON 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -S "$DEMO/virtzoned.sock" ] && break; sleep 0.2; done
vz status

say "4. train the forecaster on the imported history (worker thread; the API stays live)"
vz train

say "5. a fresh install observes: what each class still lacks, then the switch to enforce (audited)"
vz mode
vz mode enforce --reason "demo: a week of history imported, model trained, plan reviewed"

say "6. zones, sized from the forecast (peak x (1 + buffer)), then after the auto-scaler has run"
vz zones
sleep 12
vz zones

say "7. forecast for the gold class: last day and the forecast band"
vz forecast class:gold

say "8. a burst of 60 placement requests (20 each for gold, silver, bronze; 4 vCPUs / 8 GiB each)"
mkdir -p "$DEMO/burst"
for i in $(seq 1 20); do
  for cls in gold silver bronze; do
    vz place --tenant demo --app burst --priority "$cls" --vcpus 4 --memory 8192 --json > "$DEMO/burst/$i-$cls.json" 2>/dev/null || true
  done
done
node scripts/demo/burst-summary.cjs "$DEMO/burst"
vz zones

say "9. what a repartition would change now"
vz plan | head -30

say "done"
cat <<TXT
The daemon's database is $DEMO/virtzone.db, its log $DEMO/virtzoned.log.
Try: VIRTZONE_SOCKET=$DEMO/virtzoned.sock node dist/cli/virtzone.js vms --watch   (while it runs)
     node dist/cli/virtzone.js simulate --trace $TRACE --policy all
Run it on a real host: sudo scripts/install && sudo systemctl start virtzoned   (see README.md)
TXT
