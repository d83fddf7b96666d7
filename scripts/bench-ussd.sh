#!/usr/bin/env bash
# USSD benchmark, side by side in one sitting (ratios hold on a shared machine, absolutes drift):
#   - the framework floor (../shared/bench/floor: bare axum, fixed screen, no database),
#   - the Node.js peer (../shared/bench/peer-ussd-node: express + ussd-menu-builder, in memory),
#   - mitan, release build, on a fresh SQLite database, persisting every session and join.
# First hops of new sessions with wrk (../shared/bench/ussd-hops.lua), then whole join journeys
# with ../shared/bench/journeys. Needs wrk (apt-get install wrk), node and npm.
#
#   scripts/bench-ussd.sh            # 8-second runs, 32 connections
#   SECONDS_PER_RUN=20 CONNECTIONS=64 scripts/bench-ussd.sh
#   MITAN_BIN=/tmp/mitan-before scripts/bench-ussd.sh   # another build of mitan, for an A/B
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared="$root/../shared/bench"
work=${BENCH_DIR:-/tmp/mitan-bench}
seconds=${SECONDS_PER_RUN:-8}
connections=${CONNECTIONS:-32}

command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
mkdir -p "$work"
rm -rf "$work/bench" "$work/mitan-data"
cp -r "$shared" "$work/bench"
chmod -R u+w "$work/bench"

echo "== building"
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
(cd "$work/bench/floor" && cargo build --release --quiet)
(cd "$work/bench/journeys" && cargo build --release --quiet)
(cd "$work/bench/peer-ussd-node" && npm install --silent --no-audit --no-fund >/dev/null)

# Servers and load generators run at a high priority when allowed (root), so that other work on
# a shared machine disturbs the comparison less.
nice_cmd=(nice -n "${BENCH_NICE:--15}")
"${nice_cmd[@]}" true 2>/dev/null || nice_cmd=()

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

"${nice_cmd[@]}" "$work/bench/floor/target/release/floor" 127.0.0.1:9900 & pids+=($!)
(cd "$work/bench/peer-ussd-node" && exec "${nice_cmd[@]}" node server.js 127.0.0.1:9903) & pids+=($!)
mkdir -p "$work/mitan-data"
(cd "$work/mitan-data" && MITAN__SERVER__BIND=127.0.0.1:9908 MITAN__LOG__FILTER=warn \
  MITAN__SECURITY__MASTER_KEY=$(head -c 32 /dev/urandom | base64) \
  exec "${nice_cmd[@]}" "${MITAN_BIN:-$root/target/release/mitan}" serve) & pids+=($!)
for port in 9900 9903 9908; do
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break || sleep 0.1
  done
done

first_hops() {
  "${nice_cmd[@]}" wrk -t1 -c"$connections" -d"${seconds}s" -s "$work/bench/ussd-hops.lua" --latency \
    "http://127.0.0.1:$1/webhooks/africastalking/ussd" |
    awk -v name="$2" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
      END {printf "%-8s first hops/s %8.0f   p50 %-8s p99 %s\n", name, rps, p50, p99}'
}

echo "== first hops of new sessions (wrk -t1 -c$connections -d${seconds}s)"
first_hops 9900 floor
first_hops 9903 peer
first_hops 9908 mitan

echo "== whole join journeys ($connections villagers, ${seconds}s)"
printf 'peer     '; "${nice_cmd[@]}" "$work/bench/journeys/target/release/journeys" \
  http://127.0.0.1:9903/webhooks/africastalking/ussd "$connections" "$seconds" 7000000000
printf 'mitan    '; "${nice_cmd[@]}" "$work/bench/journeys/target/release/journeys" \
  http://127.0.0.1:9908/webhooks/africastalking/ussd "$connections" "$seconds" 7100000000
