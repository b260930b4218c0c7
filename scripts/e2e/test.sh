#!/usr/bin/env bash
# Runs the end-to-end tests (test/e2e/*.test.ts) against a real libvirtd + TCG QEMU.
# Needs root. The tests build the guest (cached), start libvirtd and stop it again
# themselves; the files run one at a time because they share the one system libvirtd.
#   scripts/e2e/test.sh [tap args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $(id -u) == 0 ]] || { echo "scripts/e2e/test.sh: needs root" >&2; exit 1; }
# fail early and clearly if the Debian side cannot be set up (the tests repeat these, cached)
bash scripts/e2e/build-guest.sh >/dev/null
export VZ_E2E=1
exec npx tap --jobs=1 --reporter=tap "$@" test/e2e/*.test.ts
