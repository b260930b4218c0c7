#!/usr/bin/env bash
# Sets up virtzone on a Debian machine with Node 20, as root: Debian packages, npm
# dependencies, the native libvirt addon and the TypeScript build. Idempotent: a second
# run only checks and returns quickly.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  pkg-config libvirt-dev python3 make g++        # native addon build (node-gyp)
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  qemu-system-x86 busybox-static cpio            # real libvirtd + QEMU guests (e2e)
  systemd strace                                 # systemd-analyze and the syscall census of the unit tests
  prometheus                                     # promtool: the metrics and alert-rule tests
  zsh fish groff man-db                          # the completion and man-page tests
  polkitd dbus-daemon                            # the polkit rule test (a real polkitd on a private bus)
  chromium                                       # the web dashboard's browser tests and benchmark (headless)
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Only promtool is wanted from the prometheus package: its server must not run here.
if command -v systemctl >/dev/null && systemctl is-enabled prometheus >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO systemctl stop prometheus >/dev/null 2>&1 || true
  $SUDO systemctl disable prometheus >/dev/null 2>&1 || true
fi

# npm dependencies: reinstall only when package-lock.json changed since the last install.
stamp=node_modules/.virtzone-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

# Native addon: rebuilt when its sources are newer than the binary.
addon=build/Release/virtzone_libvirt.node
if [ -f binding.gyp ]; then
  if [ ! -f "$addon" ] || [ -n "$(find binding.gyp core/host/native daemon/process/native -newer "$addon" -print -quit 2>/dev/null)" ]; then
    echo "setup: building the libvirt addon"
    npx node-gyp rebuild >/dev/null
  fi
fi

# TypeScript build (incremental).
echo "setup: tsc"
npx tsc -p tsconfig.json
chmod +x dist/daemon/bin/virtzoned.js dist/cli/virtzone.js 2>/dev/null || true
echo "setup: done"
