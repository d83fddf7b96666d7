#!/usr/bin/env bash
# schemathesis against the admin API of the real binary, on a fresh SQLite database: every check,
# all four phases (examples, coverage, fuzzing, stateful: one worker, a fixed seed), with an admin
# token, an officer token, no token, and token revocation on its own. Fails on any failure. Run by
# .ci/run; by hand:
#
#   tests/schemathesis/run.sh target/debug/mitan [examples-per-operation]
#
# It installs schemathesis and its dependencies, pinned in requirements.txt, into .ci/venv (from
# PyPI) when they are not there yet.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mitan="$(realpath "${1:?the mitan binary}")"
examples="${2:-60}"
venv="$root/.ci/venv"
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi

work="$(mktemp -d)"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export MITAN__DATABASE__URL="sqlite://$work/mitan.db?mode=rwc"
export MITAN__SERVER__BIND="127.0.0.1:$port"
export MITAN__LOG__FILTER=warn
"$mitan" keys new "$work/master.key" >/dev/null
export MITAN__SECURITY__MASTER_KEY_FILE="$work/master.key"
token() { "$mitan" token create "$@" 2>/dev/null | tail -n 1; }
admin=$(token --role admin --name schemathesis-admin)
"$mitan" serve >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
base="http://127.0.0.1:$port"
# An officer of a recruiter the admin adds, and a second admin token for the revocation run.
recruiter=$(curl -fs -X POST "$base/api/v1/recruiters" -H "Authorization: Bearer $admin" \
  -H 'Content-Type: application/json' -d '{"name": "SI Verma", "kind": "police"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
officer=$(token --role officer --recruiter "$recruiter" --name schemathesis-officer)
revoker=$(token --role admin --name schemathesis-revoker)

failed=0
run() {
  local name="$1"; shift
  echo "=== schemathesis: $name"
  if "$venv/bin/st" --config-file "$here/schemathesis.toml" run "$base/api/v1/openapi.json" \
    --checks all -n "$examples" --seed 20261201 --workers 1 --max-failures 50 \
    --output-truncate false "$@" >"$work/$name.log" 2>&1; then
    sed -n '/SUMMARY/,$p' "$work/$name.log"
  else
    cat "$work/$name.log"
    failed=1
  fi
}
every=examples,coverage,fuzzing,stateful
run admin -H "Authorization: Bearer $admin" --exclude-operation-id revoke_token --phases "$every"
run officer -H "Authorization: Bearer $officer" --exclude-operation-id revoke_token --phases "$every"
run no-token --phases "$every"
# Revoking tokens (the run's own among them, in the end) has no operation to link to.
run revocation -H "Authorization: Bearer $revoker" --include-operation-id revoke_token \
  --phases examples,coverage,fuzzing
exit "$failed"
