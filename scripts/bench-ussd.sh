#!/usr/bin/env bash
# The USSD benchmark in one sitting (BENCHMARKS.md): mitan beside two references built and run on
# the same machine at the same time, so that the ratios mean something even where the absolute
# figures drift with whatever else the machine is doing.
#
#   floor  examples/bench_floor.rs: bare axum, parses the hop, answers a fixed screen, no database
#   peer   bench/peer: express + ussd-menu-builder, the same English journey, all in memory
#   mitan  release build, a fresh SQLite database in a temporary folder, every session and join
#          written to it
#
# Loads, from examples/bench_journeys.rs: first hops (every request the dial of a new session
# from a new number) against all three, then whole join journeys against the peer and mitan.
# At the end every joined journey must be a row in mitan's `people` table (counted with sqlite3).
# Needs cargo, node, npm and sqlite3. Exits 1 if a journey or hop failed or a join is missing.
#
#   scripts/bench-ussd.sh                                    # 8-second runs, 32 villagers
#   SECONDS_PER_RUN=20 CONNECTIONS=64 scripts/bench-ussd.sh
#   MITAN_BIN=/tmp/mitan-before scripts/bench-ussd.sh        # another build of mitan, for an A/B
#
# Other knobs: BENCH_THREADS (load generator threads, default 1), BENCH_NICE (priority of the
# servers and the load generator when allowed, default -15), BENCH_PORT (first of three ports,
# default 9900).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${SECONDS_PER_RUN:-8}
connections=${CONNECTIONS:-32}
threads=${BENCH_THREADS:-1}
port=${BENCH_PORT:-9900}
floor_port=$port peer_port=$((port + 1)) mitan_port=$((port + 2))

for tool in cargo node npm sqlite3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
for p in $floor_port $peer_port $mitan_port; do
  if curl -s -o /dev/null "http://127.0.0.1:$p/"; then
    echo "bench: something already listens on 127.0.0.1:$p (set BENCH_PORT)" >&2
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/mitan-bench.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building (release)"
cargo build --release --locked --quiet --manifest-path "$root/Cargo.toml" \
  --bin mitan --example bench_floor --example bench_journeys
(cd "$root/bench/peer" && npm ci --silent --no-audit --no-fund >/dev/null)
mitan_bin=${MITAN_BIN:-$root/target/release/mitan}
floor_bin=$root/target/release/examples/bench_floor
load_bin=$root/target/release/examples/bench_journeys

# Servers and the load generator at a high priority where allowed (root), so that other work on
# a shared machine disturbs the comparison less.
nice_cmd=(nice -n "${BENCH_NICE:--15}")
"${nice_cmd[@]}" true 2>/dev/null || nice_cmd=()

"${nice_cmd[@]}" "$floor_bin" "127.0.0.1:$floor_port" >"$work/floor.log" 2>&1 & pids+=($!)
(cd "$root/bench/peer" && exec "${nice_cmd[@]}" node server.js "127.0.0.1:$peer_port") \
  >"$work/peer.log" 2>&1 & pids+=($!)
mkdir "$work/mitan"
(cd "$work/mitan" && MITAN__SERVER__BIND="127.0.0.1:$mitan_port" \
  MITAN__SERVER__PUBLIC_URL="http://127.0.0.1:$mitan_port" MITAN__LOG__FILTER=warn \
  MITAN__DATABASE__URL="sqlite://$work/mitan/mitan.db" \
  MITAN__SECURITY__MASTER_KEY="$(head -c 32 /dev/urandom | base64)" \
  exec "${nice_cmd[@]}" "$mitan_bin" serve) >"$work/mitan.log" 2>&1 & pids+=($!)

# Waits (at most 20 s) until URL answers; a server that exits or never answers stops the run.
wait_up() {
  local name=$1 url=$2
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "$url" && return 0
    sleep 0.1
  done
  echo "bench: $name did not start; its log:" >&2
  cat "$work/$name.log" >&2
  exit 1
}
wait_up floor "http://127.0.0.1:$floor_port/"
wait_up peer "http://127.0.0.1:$peer_port/"
wait_up mitan "http://127.0.0.1:$mitan_port/readyz"

# load NAME PORT FIRST_PHONE [--first-hops]: one run; its figures on one line of key=value.
load() {
  local name=$1 url="http://127.0.0.1:$2/webhooks/africastalking/ussd" phone=$3
  shift 3
  "${nice_cmd[@]}" "$load_bin" "$url" --villagers "$connections" --seconds "$seconds" \
    --threads "$threads" --first-phone "$phone" "$@" 2> >(sed "s/^/$name: /" >&2)
}
# field LINE KEY
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
  "mitan $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')," \
  "$connections villagers, ${seconds} s a run, $threads load thread(s)"
echo "== first hops (each request the dial of a new session from a new number)"
floor_first=$(load floor "$floor_port" 7000000000 --first-hops); echo "floor  $floor_first"
peer_first=$(load peer "$peer_port" 7000000000 --first-hops); echo "peer   $peer_first"
mitan_first=$(load mitan "$mitan_port" 7000000000 --first-hops); echo "mitan  $mitan_first"
echo "== whole join journeys"
peer_trip=$(load peer "$peer_port" 7100000000); echo "peer   $peer_trip"
mitan_trip=$(load mitan "$mitan_port" 7100000000); echo "mitan  $mitan_trip"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

joined=$(field "$mitan_trip" joined)
persisted=$(sqlite3 "$work/mitan/mitan.db" 'SELECT count(*) FROM people')

row() { printf '%-26s %14s %14s %14s   %-20s %s\n' "$@"; }
f() { field "$1" "$2"; }
rate() { printf '%.0f' "$(field "$1" "$2")"; }
echo
row "" floor peer mitan "mitan / reference" aim
row "first hops/s" "$(rate "$floor_first" hops_per_s)" "$(rate "$peer_first" hops_per_s)" \
  "$(rate "$mitan_first" hops_per_s)" \
  "$(ratio "$(f "$mitan_first" hops_per_s)" "$(f "$floor_first" hops_per_s)") x floor" ">= 0.35 x floor"
row "first hop p50 / p99 ms" "$(f "$floor_first" p50_ms) / $(f "$floor_first" p99_ms)" \
  "$(f "$peer_first" p50_ms) / $(f "$peer_first" p99_ms)" \
  "$(f "$mitan_first" p50_ms) / $(f "$mitan_first" p99_ms)" "" "p99 <= 20 ms"
row "failed first hops" "$(f "$floor_first" failed)" "$(f "$peer_first" failed)" \
  "$(f "$mitan_first" failed)" "" 0
row "journeys/s" - "$(rate "$peer_trip" journeys_per_s)" "$(rate "$mitan_trip" journeys_per_s)" \
  "$(ratio "$(f "$mitan_trip" journeys_per_s)" "$(f "$peer_trip" journeys_per_s)") x peer" ">= 1.5 x peer"
row "hops/s in journeys" - "$(rate "$peer_trip" hops_per_s)" "$(rate "$mitan_trip" hops_per_s)" "" ""
row "journey hop p50 / p99 ms" - "$(f "$peer_trip" p50_ms) / $(f "$peer_trip" p99_ms)" \
  "$(f "$mitan_trip" p50_ms) / $(f "$mitan_trip" p99_ms)" "" "p99 <= 20 ms"
row "failed journeys" - "$(f "$peer_trip" failed)" "$(f "$mitan_trip" failed)" "" 0
row "joins persisted" - - "$persisted of $joined" "" "every one"

failed=0
for line in "$floor_first" "$peer_first" "$mitan_first" "$peer_trip" "$mitan_trip"; do
  failed=$((failed + $(f "$line" failed)))
done
status=0
if [ "$failed" -ne 0 ]; then echo "bench: $failed hops or journeys failed" >&2; status=1; fi
if [ "$persisted" -ne "$joined" ]; then
  echo "bench: mitan told $joined villagers they joined but holds $persisted people" >&2
  status=1
fi
exit $status
