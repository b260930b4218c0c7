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
#
# Console lines meant for tests all start with "VZ ":
#   VZ ready up=<s> modules=<n>
#   VZ onlined cpuN
#   VZ burn loops=<n>
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
    "memtotal_kib=$(meminfo MemTotal) memfree_kib=$(meminfo MemFree) burn=$LOOPS"
}

# --- modules, in dependency order (written by build-guest.sh) ---
nmod=0
while read -r m; do
  [ -n "$m" ] || continue
  if insmod "/lib/modules/$m"; then nmod=$((nmod + 1)); else echo "VZ insmod-failed $m"; fi
done </etc/vz-modules
echo "VZ ready up=$(uptime_s) modules=$nmod"

# --- memory hog ---
HOG=$(arg vz.hog 0)
if [ "$HOG" -gt 0 ] 2>/dev/null; then
  dd if=/dev/zero of=/run/hog bs=1M count="$HOG" 2>/dev/null && echo "VZ hog mib=$HOG"
fi

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

# the schedule as "loops:seconds" phases; a bare N is one endless phase
case "$BURN" in
  *:*) PHASES=$(echo "$BURN" | tr ',' ' ') ;;
  *) PHASES="$BURN:0" ;;
esac
CYCLE=0
for p in $PHASES; do CYCLE=$((CYCLE + ${p#*:})); done

# loops wanted at uptime $1
loops_at() {
  [ "$CYCLE" -gt 0 ] || { echo "${PHASES%%:*}"; return; }
  t=$(($1 % CYCLE))
  for p in $PHASES; do
    d=${p#*:}
    [ "$t" -lt "$d" ] && { echo "${p%%:*}"; return; }
    t=$((t - d))
  done
  echo 0
}

# --- main loop: every second online new CPUs and follow the schedule ---
last=-1
while :; do
  online_new_cpus
  now=$(uptime_s)
  set_loops "$(loops_at "$now")"
  if [ $((now - last)) -ge "$REPORT" ]; then
    report
    last=$now
  fi
  sleep 1
done
