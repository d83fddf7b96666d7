#!/usr/bin/env bash
# Checks deploy/mitan.service without installing it, on any machine with systemd-analyze (no
# running systemd needed):
#
#   1. `systemd-analyze verify`: every directive is known and in its section, values parse,
#      and ExecStart= names an executable. The unit names /usr/local/bin/mitan, which a build
#      machine does not have, so a copy in a temporary folder points ExecStart= at a built
#      binary instead; nothing else is changed. Any message at all fails the check (unknown
#      or misplaced keys are only warnings to systemd-analyze, and exit 0).
#   2. `systemd-analyze security --offline`: the hardening's exposure score stays at or below
#      $MITAN_MAX_EXPOSURE tenths (default 20, that is 2.0, "OK"; the unit scores 1.4 when
#      written).
#   3. The binary reads config/production.example.toml (every key known, every value valid),
#      with the master key file the unit gives it: `mitan --config … screens` loads the
#      settings exactly as `serve` does and touches no database.
#
# What it cannot check: that the unit starts (user, paths and credentials exist only on the
# target machine) and that the sandbox lets mitan do its work; start it once on a test
# machine and read `journalctl -u mitan` (docs/OPERATING.md, "Running under systemd").
#
# Usage: deploy/verify.sh [PATH-TO-BUILT-MITAN]   (default: $CARGO_TARGET_DIR or target, debug)
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-${CARGO_TARGET_DIR:-target}/debug/mitan}
if [[ ! -x $binary ]]; then
  echo "deploy/verify.sh: no mitan binary at $binary (cargo build first, or give its path)" >&2
  exit 2
fi
binary=$(realpath "$binary")
max_exposure=${MITAN_MAX_EXPOSURE:-20}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unit="$work/mitan.service"
sed "s|^ExecStart=/usr/local/bin/mitan |ExecStart=$binary |" deploy/mitan.service >"$unit"
if ! grep -q "^ExecStart=$binary " "$unit"; then
  echo "deploy/verify.sh: deploy/mitan.service has no 'ExecStart=/usr/local/bin/mitan …' line" >&2
  exit 1
fi

echo "systemd-analyze verify deploy/mitan.service (ExecStart=$binary …)"
if ! messages=$(systemd-analyze verify --man=no "$unit" 2>&1) || [[ -n $messages ]]; then
  printf '%s\n' "${messages//$work\//deploy/}" >&2
  echo "deploy/verify.sh: the unit is not clean" >&2
  exit 1
fi

echo "systemd-analyze security --offline (exposure at most $max_exposure tenths)"
if ! report=$(systemd-analyze security --offline=yes --threshold="$max_exposure" "$unit" 2>&1); then
  printf '%s\n' "$report" | grep -v '^✓' >&2
  echo "deploy/verify.sh: the unit's exposure is above $max_exposure tenths" >&2
  exit 1
fi
printf '%s\n' "$report" | grep 'Overall exposure'

echo "mitan reads config/production.example.toml"
# The key file the unit points at (a fresh key; nothing is sealed with it).
head -c 32 /dev/urandom | base64 >"$work/master.key"
MITAN__SECURITY__MASTER_KEY_FILE="$work/master.key" \
  "$binary" --config config/production.example.toml screens >/dev/null

echo "deploy/mitan.service: ok"
