#!/bin/sh
# PID 1 of the virtzone e2e guest (copied into the initrd as /init by build-guest.sh).
#
# There is no udev and no init system, so this script does their few jobs itself:
# load the virtio modules, online CPUs that the host hot-plugs, and burn CPU on a
# pattern taken from the kernel command line. It reports its own view of the machine
# on the console (ttyS0, which libvirt writes to a file) so a test can check from
# inside the guest what the host did to it.
#
# Kernel command line keys (all optional):
#   vz.burn=N            N busy loops for ever (0 = idle, the default)
#   vz.burn=N:S,M:T,...  a schedule: N loops for S seconds, then M for T seconds, ...; repeats
#   vz.report=S          seconds between two report lines (default 2)
#   vz.hog=MiB           keep MiB of memory in use (a file in tmpfs), for balloon tests
#   vz.hog=M:S,N:T,...   a schedule: M MiB for S seconds, then N MiB for T seconds, ...;
#                        repeats (e.g. 0:60,64:3600: idle for a minute, then 64 MiB)
#
# Console lines meant for tests all start with "VZ ":
#   VZ ready up=<s> modules=<n>
#   VZ onlined cpuN
#   VZ burn loops=<n>
#   VZ hog mib=<n>
#   VZ report up=<s> online=<n> present=<n> possible=<n> memtotal_kib=<n> memfree_kib=<n> burn=<n>

PATH=/bin
export PATH
/bin/busybox mkdir -p /proc /sys /dev /run /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox mount -t tmpfs -o mode=0755 tmpfs /run
/bin/busybox --install -s /bin
exec </dev/console >/dev/console 2>&1

# value of key $1 on the kernel command line, else $2
arg() {
  for w in $(cat /proc/cmdline); do
    case "$w" in "$1"=*) echo "${w#*=}"; return ;; esac
  done
  echo "$2"
}

uptime_s() { read -r up _ </proc/uptime; echo "${up%.*}"; }

# number of CPUs in a sysfs list such as "0-1,3"
count_list() {
  n=0
  for r in $(echo "$1" | tr ',' ' '); do
    case "$r" in
      *-*) n=$((n + ${r#*-} - ${r%-*} + 1)) ;;
      '') ;;
      *) n=$((n + 1)) ;;
    esac
  done
  echo "$n"
}

# Hot-plugged vCPUs arrive offline (udev would online them on a normal distro).
online_new_cpus() {
  for f in /sys/devices/system/cpu/cpu[0-9]*/online; do
    [ -f "$f" ] || continue
    if [ "$(cat "$f")" = 0 ]; then
      echo 1 >"$f" 2>/dev/null && c=${f%/online} && echo "VZ onlined ${c##*/}"
    fi
  done
}

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

report() {
  echo "VZ report up=$(uptime_s)" \
    "online=$(count_list "$(cat /sys/devices/system/cpu/online)")" \
    "present=$(count_list "$(cat /sys/devices/system/cpu/present)")" \
    "possible=$(count_list "$(cat /sys/devices/system/cpu/possible)")" \
    "memtotal_kib=$(meminfo MemTotal) memfree_kib=$(meminfo MemFree) burn=$LOOPS hog=$HOGMIB"
}

# --- modules, in dependency order (written by build-guest.sh) ---
nmod=0
while read -r m; do
  [ -n "$m" ] || continue
  if insmod "/lib/modules/$m"; then nmod=$((nmod + 1)); else echo "VZ insmod-failed $m"; fi
done </etc/vz-modules
echo "VZ ready up=$(uptime_s) modules=$nmod"

# --- memory hog: a file in tmpfs of the size the schedule wants now ---
HOGMIB=0
set_hog() {
  [ "$1" -eq "$HOGMIB" ] 2>/dev/null && return
  rm -f /run/hog
  HOGMIB=0
  if [ "$1" -gt 0 ] 2>/dev/null; then
    dd if=/dev/zero of=/run/hog bs=1M count="$1" 2>/dev/null && HOGMIB=$1
  fi
  echo "VZ hog mib=$HOGMIB"
}

# --- CPU burn ---
BURN=$(arg vz.burn 0)
REPORT=$(arg vz.report 2)
LOOPS=0
PIDS=""
set_loops() {
  want=$1
  [ "$want" -eq "$LOOPS" ] 2>/dev/null && return
  while [ "$LOOPS" -lt "$want" ]; do
    (while :; do :; done) &
    PIDS="$PIDS $!"
    LOOPS=$((LOOPS + 1))
  done
  while [ "$LOOPS" -gt "$want" ]; do
    p=${PIDS##* }
    PIDS=${PIDS% *}
    kill "$p" 2>/dev/null
    LOOPS=$((LOOPS - 1))
  done
  echo "VZ burn loops=$LOOPS"
}

# A schedule "value:seconds,..." as phases; a bare N is one endless phase.
phases_of() {
  case "$1" in
    *:*) echo "$1" | tr ',' ' ' ;;
    *) echo "$1:0" ;;
  esac
}
cycle_of() {
  c=0
  for p in $1; do c=$((c + ${p#*:})); done
  echo "$c"
}
# value of schedule $1 (phases) with cycle $2 at uptime $3
value_at() {
  [ "$2" -gt 0 ] || { echo "${1%%:*}"; return; }
  t=$(($3 % $2))
  for p in $1; do
    d=${p#*:}
    [ "$t" -lt "$d" ] && { echo "${p%%:*}"; return; }
    t=$((t - d))
  done
  echo 0
}
BURN_PHASES=$(phases_of "$BURN")
BURN_CYCLE=$(cycle_of "$BURN_PHASES")
HOG_PHASES=$(phases_of "$(arg vz.hog 0)")
HOG_CYCLE=$(cycle_of "$HOG_PHASES")

# --- main loop: every second online new CPUs and follow the schedules ---
last=-1
while :; do
  online_new_cpus
  now=$(uptime_s)
  set_loops "$(value_at "$BURN_PHASES" "$BURN_CYCLE" "$now")"
  set_hog "$(value_at "$HOG_PHASES" "$HOG_CYCLE" "$now")"
  if [ $((now - last)) -ge "$REPORT" ]; then
    report
    last=$now
  fi
  sleep 1
done
