#!/usr/bin/env bash
# Builds the tiny e2e guest from Debian packages only: the Debian cloud kernel and a
# busybox initrd whose /init (guest-init.sh) loads the virtio modules, onlines
# hot-plugged CPUs and burns CPU as the kernel command line says.
#
#   scripts/e2e/build-guest.sh [OUTDIR]     (default $VZ_E2E_GUEST_DIR or /var/tmp/virtzone-e2e/guest)
#
# Outputs OUTDIR/vmlinuz, OUTDIR/initrd.gz and OUTDIR/guest.env (shell-sourceable:
# VZ_GUEST_KERNEL, VZ_GUEST_INITRD, VZ_GUEST_KVER). Cached: when the outputs exist and
# were built by this same recipe (hash of this script and guest-init.sh) it only prints
# them. Environment: VZ_E2E_KERNEL_PKG pins the kernel package (default: what
# linux-image-cloud-amd64 depends on today).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-${VZ_E2E_GUEST_DIR:-/var/tmp/virtzone-e2e/guest}}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# The modules the guest needs, by name; their dependencies are added from modules.dep.
# virtio_pci: the PCI transport (the cloud kernel has it as a module);
# virtio_balloon: the memballoon device; virtio_console: for a virtio console if a
# domain uses one (ttyS0 itself is the built-in 8250 driver).
WANTED_MODULES=(virtio_pci virtio_balloon virtio_console)

RECIPE=$(cat "$HERE/build-guest.sh" "$HERE/guest-init.sh" | sha256sum | cut -c1-16)

print_result() {
  # shellcheck disable=SC1091
  . "$OUT/guest.env"
  echo "kernel: $VZ_GUEST_KERNEL"
  echo "initrd: $VZ_GUEST_INITRD"
  echo "kver:   $VZ_GUEST_KVER"
  echo "env:    $OUT/guest.env"
}

if [[ -f $OUT/guest.env && -f $OUT/vmlinuz && -f $OUT/initrd.gz ]] &&
  grep -qx "VZ_GUEST_RECIPE=$RECIPE" "$OUT/guest.env"; then
  print_result
  exit 0
fi

log() { echo "build-guest: $*" >&2; }

APT_UPDATED=0
apt_update_once() {
  if [[ $APT_UPDATED == 0 ]]; then
    log "apt-get update"
    apt-get update -qq >&2
    APT_UPDATED=1
  fi
}

# the versioned kernel package that the cloud meta-package pulls in today
kernel_package() {
  if [[ -n ${VZ_E2E_KERNEL_PKG:-} ]]; then
    echo "$VZ_E2E_KERNEL_PKG"
    return
  fi
  local pkg
  pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-.*-cloud-amd64$/ { print $2; exit }')
  if [[ -z $pkg ]]; then
    apt_update_once
    pkg=$(apt-cache depends linux-image-cloud-amd64 |
      awk '$1 == "Depends:" && $2 ~ /^linux-image-.*-cloud-amd64$/ { print $2; exit }')
  fi
  [[ -n $pkg ]] || { log "cannot resolve linux-image-cloud-amd64's kernel package"; exit 1; }
  echo "$pkg"
}

# downloads Debian package $1 into $DEBS (once) and prints the .deb's path
fetch_deb() {
  local pkg=$1 deb
  deb=$(ls "$DEBS/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
  if [[ -z $deb ]]; then
    log "apt-get download $pkg"
    if ! (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
      # a stale package list names a version the mirror no longer has
      apt_update_once
      (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
    fi
    deb=$(ls "$DEBS/${pkg}"_*.deb | head -n1)
  fi
  echo "$deb"
}

DEBS=$OUT/debs
mkdir -p "$DEBS"
WORK=$(mktemp -d "$OUT/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

KPKG=$(kernel_package)
KDEB=$(fetch_deb "$KPKG")
BBDEB=$(fetch_deb busybox-static)

log "extracting $(basename "$KDEB") and $(basename "$BBDEB")"
dpkg-deb -x "$KDEB" "$WORK/kernel"
dpkg-deb -x "$BBDEB" "$WORK/busybox"
BB=$WORK/busybox/bin/busybox
KVER=$(ls "$WORK/kernel/lib/modules")
KCONFIG=$WORK/kernel/boot/config-$KVER

# ttyS0 and the initrd format must be built in; everything else is checked below.
for opt in CONFIG_SERIAL_8250_CONSOLE CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP CONFIG_DEVTMPFS \
  CONFIG_HOTPLUG_CPU CONFIG_ACPI_HOTPLUG_CPU; do
  grep -qx "$opt=y" "$KCONFIG" || { log "kernel $KVER lacks $opt=y"; exit 1; }
done

# The package ships no modules.dep (depmod runs in its postinst); busybox's depmod
# makes one without touching the host.
"$BB" depmod -b "$WORK/kernel" "$KVER"
MODDIR=$WORK/kernel/lib/modules/$KVER
declare -A LOADED=()
ORDER=()
# appends module path $1 (relative to MODDIR) after its dependencies
add_module() {
  local rel=$1 dep
  [[ -n ${LOADED[$rel]:-} ]] && return
  for dep in $(awk -v m="$rel:" '$1 == m { $1 = ""; print }' "$MODDIR/modules.dep"); do
    add_module "$dep"
  done
  LOADED[$rel]=1
  ORDER+=("$rel")
}
for name in "${WANTED_MODULES[@]}"; do
  cfg=CONFIG_$(echo "$name" | tr '[:lower:]' '[:upper:]')
  if grep -qx "$cfg=y" "$KCONFIG"; then
    log "$name is built in"
    continue
  fi
  grep -qx "$cfg=m" "$KCONFIG" || { log "kernel $KVER has no $cfg"; exit 1; }
  rel=$(awk -F: -v n="/$name.ko" 'index($1, n) == length($1) - length(n) + 1 { print $1; exit }' "$MODDIR/modules.dep")
  [[ -n $rel ]] || { log "$name.ko not found in $KVER"; exit 1; }
  add_module "$rel"
done

ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,dev,etc,proc,sys,run,tmp,lib/modules}
cp "$BB" "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"
install -m 0755 "$HERE/guest-init.sh" "$ROOT/init"
: >"$ROOT/etc/vz-modules"
for rel in "${ORDER[@]}"; do
  cp "$MODDIR/$rel" "$ROOT/lib/modules/"
  basename "$rel" >>"$ROOT/etc/vz-modules"
done
# the kernel opens /dev/console before /init runs (devtmpfs is mounted later)
mknod -m 0600 "$ROOT/dev/console" c 5 1 2>/dev/null || log "no mknod: early console messages are lost"

(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | "$BB" cpio -o -H newc 2>/dev/null) |
  gzip -9n >"$WORK/initrd.gz"
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
mv -f "$WORK/vmlinuz" "$OUT/vmlinuz"
mv -f "$WORK/initrd.gz" "$OUT/initrd.gz"
# QEMU runs as libvirt-qemu: the guest files must be readable by it
chmod 0644 "$OUT/vmlinuz" "$OUT/initrd.gz"
cat >"$OUT/guest.env" <<EOF
VZ_GUEST_KERNEL=$OUT/vmlinuz
VZ_GUEST_INITRD=$OUT/initrd.gz
VZ_GUEST_KVER=$KVER
VZ_GUEST_KERNEL_PKG=$(basename "$KDEB")
VZ_GUEST_BUSYBOX_PKG=$(basename "$BBDEB")
VZ_GUEST_MODULES="$(tr '\n' ' ' <"$ROOT/etc/vz-modules" | sed 's/ $//')"
VZ_GUEST_RECIPE=$RECIPE
EOF
log "built initrd $(du -k "$OUT/initrd.gz" | cut -f1) KiB with modules: $(tr '\n' ' ' <"$ROOT/etc/vz-modules")"
print_result
