#!/usr/bin/env bash
# Prints the domain XML of one e2e guest (scripts/e2e/guest.xml.tmpl filled in).
#
#   scripts/e2e/render-guest.sh NAME [--burn PATTERN] [--hog PATTERN] [--partition /machine/X]
#                                    [--log FILE] [--metadata XML] [--guest-dir DIR]
#
# --burn is guest-init.sh's vz.burn (N, or N:S,M:T,...); default 0 (idle).
# --hog is its vz.hog (MiB, or MiB:S,MiB:T,...); default 0 (none).
# --log defaults to /var/tmp/virtzone-e2e/console/NAME.log.
# The kernel and initrd come from DIR/guest.env (build-guest.sh's output).
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true # keep "&" literal in ${var//pat/rep}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NAME=${1:?usage: render-guest.sh NAME [--burn PATTERN] [--partition P] [--log FILE] [--metadata XML]}
shift
BURN=0 HOG=0 PARTITION='' LOG='' METADATA='' GUEST_DIR=${VZ_E2E_GUEST_DIR:-/var/tmp/virtzone-e2e/guest}
while [[ $# -gt 0 ]]; do
  case $1 in
    --burn) BURN=$2; shift 2 ;;
    --hog) HOG=$2; shift 2 ;;
    --partition) PARTITION=$2; shift 2 ;;
    --log) LOG=$2; shift 2 ;;
    --metadata) METADATA=$2; shift 2 ;;
    --guest-dir) GUEST_DIR=$2; shift 2 ;;
    *) echo "render-guest.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -f $GUEST_DIR/guest.env ]] || { echo "render-guest.sh: no $GUEST_DIR/guest.env: run build-guest.sh" >&2; exit 1; }
# shellcheck disable=SC1091
. "$GUEST_DIR/guest.env"
LOG=${LOG:-/var/tmp/virtzone-e2e/console/$NAME.log}
mkdir -p "$(dirname "$LOG")"

RESOURCE=''
[[ -n $PARTITION ]] && RESOURCE="<resource><partition>$PARTITION</partition></resource>"
CMDLINE="console=ttyS0 panic=-1 vz.burn=$BURN vz.hog=$HOG vz.report=2"

xml=$(cat "$HERE/guest.xml.tmpl")
xml=${xml#*-->} # the template's leading comment documents the placeholders
xml=${xml//'{{NAME}}'/$NAME}
xml=${xml//'{{KERNEL}}'/$VZ_GUEST_KERNEL}
xml=${xml//'{{INITRD}}'/$VZ_GUEST_INITRD}
xml=${xml//'{{CMDLINE}}'/$CMDLINE}
xml=${xml//'{{CONSOLE_LOG}}'/$LOG}
xml=${xml//'{{METADATA}}'/$METADATA}
xml=${xml//'{{RESOURCE}}'/$RESOURCE}
printf '%s\n' "${xml#$'\n'}"
