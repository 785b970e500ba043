#!/usr/bin/env bash
# The Debian packages the server tests use (`npm run setup:servers`; .ci/run runs it too): the real
# time-series servers for export, chromium for the wallboard's browser test, systemd-analyze for the
# service unit. Needs root (or sudo). The packages' own daemons are kept from starting on their
# default ports while installing (a temporary policy-rc.d, kept if the machine already had one).
set -euo pipefail
PACKAGES="victoria-metrics prometheus prometheus-pushgateway influxdb chromium systemd"
missing=""
for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
[ -z "$missing" ] && { echo "server test packages already installed:$PACKAGES"; exit 0; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
created=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  created=1
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
[ "$created" = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
echo "installed:$missing"
