#!/usr/bin/env bash
# A real libvirtd (qemu:///system) for the e2e tests, without systemd.
#
#   scripts/e2e/libvirtd.sh start     install what is missing, start virtlogd + libvirtd, wait for qemu:///system
#   scripts/e2e/libvirtd.sh stop      destroy running guests, stop libvirtd and virtlogd, remove empty virtzone partitions
#   scripts/e2e/libvirtd.sh status    exit 0 when qemu:///system answers
#   scripts/e2e/libvirtd.sh kill      SIGKILL libvirtd only (guests and virtlogd keep running): a fault for tests
#   scripts/e2e/libvirtd.sh restart   kill (if running) + start; running guests are picked up again
#
# Everything is idempotent: start reuses a libvirtd that answers and replaces one that
# does not (a stale pid file, a hung daemon from an earlier run). Findings about this
# environment (cgroups, /dev/kvm, what libvirt needs) are in scripts/e2e/README.md.
set -euo pipefail

URI=qemu:///system
STATE=${VZ_E2E_STATE_DIR:-/var/tmp/virtzone-e2e/libvirtd}
RUN=/run/libvirt
LIBVIRTD_PID=/run/libvirtd.pid # libvirtd's own default: a second libvirtd refuses to start on it
VIRTLOGD_PID=/run/virtlogd.pid
LIBVIRTD_LOG=/var/log/libvirt/libvirtd.log
QEMU_USER=libvirt-qemu # the user Debian's qemu driver is built to run QEMU as
START_TIMEOUT=${VZ_E2E_LIBVIRTD_TIMEOUT:-30}

log() { echo "libvirtd.sh: $*" >&2; }

# Debian packages: the qemu driver, virsh, QEMU. Not libvirt-daemon-system: its
# maintainer scripts want systemd/sysv services, and this script does their job.
ensure_packages() {
  local missing=()
  command -v libvirtd >/dev/null || missing+=(libvirt-daemon)
  [[ -e /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so ]] ||
    missing+=(libvirt-daemon-driver-qemu)
  command -v virsh >/dev/null || missing+=(libvirt-clients)
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  # qcow2 root volumes (overlays and copies) in dir storage pools
  command -v qemu-img >/dev/null || missing+=(qemu-utils)
  [[ ${#missing[@]} == 0 ]] && return
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
    apt-get update -qq >&2
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  fi
}

# What libvirt-daemon-system's postinst would create.
ensure_users_and_dirs() {
  getent group "$QEMU_USER" >/dev/null || groupadd --system "$QEMU_USER"
  getent group kvm >/dev/null || groupadd --system kvm
  getent group libvirt >/dev/null || groupadd --system libvirt
  if ! getent passwd "$QEMU_USER" >/dev/null; then
    useradd --system --gid "$QEMU_USER" --groups kvm --home-dir /var/lib/libvirt \
      --no-create-home --shell /usr/sbin/nologin "$QEMU_USER"
  fi
  mkdir -p "$RUN" /var/lib/libvirt/qemu /var/log/libvirt/qemu /var/cache/libvirt/qemu /etc/libvirt/qemu "$STATE"
  chmod 0755 /var/lib/libvirt
  # Debian's udev rule makes /dev/kvm root:kvm 0660; here it is root-only. libvirt then
  # sees KVM work when it probes QEMU (the probe opens /dev/kvm before dropping to
  # libvirt-qemu) but not usable by libvirt-qemu afterwards, declares its capability
  # cache outdated on every lookup and re-probes QEMU (~4 s each): a domain start took 45 s.
  # Guests still run TCG (type='qemu'): nested KVM here does not boot the guest kernel.
  if [[ -c /dev/kvm ]]; then
    chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
  fi
}

write_config() {
  # Root over the local socket, no polkit (there is no dbus daemon), logs to a file.
  cat >"$STATE/libvirtd.conf" <<'EOF'
unix_sock_group = "root"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_level = 3
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
}

pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

answers() { timeout 10 virsh -q -c "$URI" list --name >/dev/null 2>&1; }

wait_gone() { # pid seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

stop_pidfile() { # pidfile name
  local pid
  [[ -f $1 ]] || return 0
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $2 ($pid)"
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || { log "$2 ($pid) ignores SIGTERM: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true; }
  fi
  rm -f "$1"
}

start_virtlogd() {
  # libvirt sends QEMU's stdout/stderr and file chardevs (the guest console) through
  # virtlogd (qemu.conf's default stdio_handler = "logd"); in system mode libvirtd
  # does not spawn it.
  pid_alive "$VIRTLOGD_PID" && return
  rm -f "$VIRTLOGD_PID" "$RUN/virtlogd-sock" "$RUN/virtlogd-admin-sock"
  virtlogd -d -p "$VIRTLOGD_PID"
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -S $RUN/virtlogd-sock ]] && return
    sleep 0.1
  done
  log "virtlogd did not create $RUN/virtlogd-sock"
  exit 1
}

start() {
  ensure_packages
  ensure_users_and_dirs
  write_config
  start_virtlogd
  if pid_alive "$LIBVIRTD_PID"; then
    if answers; then
      log "libvirtd already running ($(cat "$LIBVIRTD_PID")) and answering on $URI"
      return
    fi
    log "libvirtd $(cat "$LIBVIRTD_PID") does not answer: replacing it"
    kill_libvirtd
  fi
  rm -f "$LIBVIRTD_PID" "$RUN/libvirt-sock" "$RUN/libvirt-sock-ro" "$RUN/libvirt-admin-sock"
  local t0 i
  t0=$(date +%s%N)
  libvirtd -d -f "$STATE/libvirtd.conf" -p "$LIBVIRTD_PID"
  for ((i = 0; i < START_TIMEOUT * 5; i++)); do
    if answers; then
      log "libvirtd $(cat "$LIBVIRTD_PID") answers on $URI after $((($(date +%s%N) - t0) / 1000000)) ms"
      return
    fi
    sleep 0.2
  done
  log "libvirtd did not answer on $URI within ${START_TIMEOUT}s; last log lines:"
  tail -n 20 "$LIBVIRTD_LOG" >&2 || true
  exit 1
}

kill_libvirtd() {
  local pid
  [[ -f $LIBVIRTD_PID ]] || return 0
  pid=$(cat "$LIBVIRTD_PID")
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || true
  fi
  rm -f "$LIBVIRTD_PID"
}

# QEMU processes of libvirt's guests, from libvirt's own records (/run/libvirt/qemu/NAME.pid)
guest_pids() {
  local f pid
  for f in "$RUN"/qemu/*.pid; do
    [[ -f $f ]] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
  done
  return 0
}

stop() {
  local name pid
  # Guests whose libvirtd was killed are destroyed through a libvirtd that reconnects
  # to them: that way libvirt also removes their cgroups and status files.
  if [[ -n $(guest_pids) ]] && ! { pid_alive "$LIBVIRTD_PID" && answers; }; then
    log "guests outlived their libvirtd: starting one to destroy them"
    start || true
  fi
  if pid_alive "$LIBVIRTD_PID" && answers; then
    for name in $(virsh -q -c "$URI" list --name 2>/dev/null); do
      log "destroying guest $name"
      virsh -q -c "$URI" destroy "$name" >/dev/null 2>&1 || true
    done
  fi
  stop_pidfile "$LIBVIRTD_PID" libvirtd
  # what is left after a failed destroy: kill it and remove what libvirt would have
  local f d
  for f in "$RUN"/qemu/*.pid; do
    [[ -f $f ]] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      log "killing leftover qemu $pid (${f##*/})"
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 5 || true
    fi
    rm -f "$f" "${f%.pid}.xml"
  done
  for d in $(find /sys/fs/cgroup -depth -path '*/machine/*' -type d \( -name '*.libvirt-qemu' -o -path '*.libvirt-qemu/*' \) 2>/dev/null); do
    rmdir "$d" 2>/dev/null || true
  done
  stop_pidfile "$VIRTLOGD_PID" virtlogd
  # partitions made for tests are empty once their guests are gone; rmdir only removes empty ones
  for d in /sys/fs/cgroup/*/machine/virtzone-*.partition /sys/fs/cgroup/machine/virtzone-*.partition; do
    [[ -d $d ]] && rmdir "$d" 2>/dev/null || true
  done
  return 0
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status)
    if pid_alive "$LIBVIRTD_PID" && answers; then
      echo "libvirtd $(cat "$LIBVIRTD_PID") answers on $URI"
    else
      echo "libvirtd is not answering on $URI"
      exit 1
    fi
    ;;
  kill) kill_libvirtd ;;
  restart)
    kill_libvirtd
    start
    ;;
  *)
    echo "usage: $0 start|stop|status|kill|restart" >&2
    exit 2
    ;;
esac
