#!/usr/bin/env bash
# Soak test of the reference app: a minute of mixed load with wrk, then SIGTERM under load.
#
# Checks: no non-2xx/3xx answer and no socket error under load; open fds back to where they started once the
# load stops; RSS after warm-up does not keep growing; the process exits within the shutdown grace period when
# SIGTERM arrives in the middle of a second load. Prints a summary table; exits non-zero if a check fails.
#
#   scripts/soak.sh                      # 60 s, 256 connections
#   SOAK_SECONDS=20 SOAK_CONNECTIONS=64 scripts/soak.sh
#
# Needs wrk (`apt-get install -y wrk`). Waits while a benchmark (compare.sh, cost.sh) runs: the soak would
# disturb its timings.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

SECONDS_UNDER_LOAD=${SOAK_SECONDS:-60}
CONNECTIONS=${SOAK_CONNECTIONS:-256}
# Limits::default().shutdown_grace; the app does not change it.
GRACE=${SOAK_GRACE:-30}
# RSS may grow this much between the sample after warm-up and the end before it counts as a leak.
MAX_RSS_GROWTH_KIB=${SOAK_MAX_RSS_GROWTH_KIB:-16384}
# Open fds allowed above the start once the load is over.
MAX_FD_GROWTH=${SOAK_MAX_FD_GROWTH:-8}

command -v wrk >/dev/null || { echo "soak: wrk is missing: apt-get install -y wrk" >&2; exit 2; }

while pgrep -f 'compare\.sh|cost\.sh' >/dev/null; do
    echo "soak: a benchmark is running (compare.sh/cost.sh); waiting for it to finish..."
    sleep 10
done

WORK=$(mktemp -d)
SERVER_PID=""
WRK2_PID=""
cleanup() {
    [[ -n $WRK2_PID ]] && kill "$WRK2_PID" 2>/dev/null || true
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 130" INT TERM

echo "soak: building the release example..."
cargo build --release --example hello_world 2>&1 | tail -n 2

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ADDR=127.0.0.1:$PORT
# Templates and static files are found relative to the working directory: start from the repo root.
MICRO_HTTP_ADDR=$ADDR RUST_LOG=${RUST_LOG:-warn} "$ROOT/target/release/examples/hello_world" \
    >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://$ADDR/plaintext" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "soak: server exited:" >&2; cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
done
curl -fsS -o /dev/null "http://$ADDR/plaintext"

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }

# Every route of the mix answers 2xx before the load starts, so an error under load is the load's.
for path in / /json /plaintext /users/7 /static/style.css; do
    curl -fsS -o /dev/null "http://$ADDR$path" || { echo "soak: GET $path failed before the load" >&2; exit 1; }
done
curl -fsS -o /dev/null -H 'content-type: application/json' -d '{"soak":[1,2,3]}' "http://$ADDR/api/echo"

cat >"$WORK/mix.lua" <<'LUA'
-- One request of each kind in turn; POST /api/echo with a small JSON body.
local requests = {}
local i = 0
function init(args)
    local get = { "/", "/json", "/plaintext", "/users/7", "/static/style.css" }
    for _, path in ipairs(get) do
        table.insert(requests, wrk.format("GET", path))
    end
    table.insert(requests, wrk.format("POST", "/api/echo",
        { ["Content-Type"] = "application/json" }, '{"soak":true,"n":[1,2,3]}'))
end
function request()
    i = i % #requests + 1
    return requests[i]
end
LUA

RSS_START=$(rss_kib)
FDS_START=$(fds)
echo "soak: server pid $SERVER_PID on $ADDR: RSS ${RSS_START} KiB, ${FDS_START} fds; ${SECONDS_UNDER_LOAD} s of load with ${CONNECTIONS} connections..."

wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_UNDER_LOAD}s" --latency -s "$WORK/mix.lua" "http://$ADDR" >"$WORK/wrk1.txt" 2>&1 &
WRK1_PID=$!
sleep 10
RSS_WARM=$(rss_kib)
FDS_WARM=$(fds)
wait "$WRK1_PID"
RSS_LOADED=$(rss_kib)
sleep 1
RSS_END=$(rss_kib)
FDS_END=$(fds)
cat "$WORK/wrk1.txt"

REQUESTS=$(awk '/requests in/ { print $1 }' "$WORK/wrk1.txt")
RPS=$(awk '/^Requests\/sec/ { print $2 }' "$WORK/wrk1.txt")
P99=$(awk '$1 == "99%" { print $2 }' "$WORK/wrk1.txt")
NON_2XX=$(awk '/Non-2xx or 3xx responses/ { print $NF }' "$WORK/wrk1.txt")
NON_2XX=${NON_2XX:-0}
SOCKET_ERRORS=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$WORK/wrk1.txt")
SOCKET_ERRORS=${SOCKET_ERRORS:-0}

# SIGTERM in the middle of a second load: the server must stop within the grace period.
wrk -t1 -c64 -d20s -s "$WORK/mix.lua" "http://$ADDR" >"$WORK/wrk2.txt" 2>&1 &
WRK2_PID=$!
sleep 3
kill -TERM "$SERVER_PID"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
TERM_AT=$(now_ms)
EXITED=no
while (($(now_ms) - TERM_AT < (GRACE + 2) * 1000)); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        EXITED=yes
        break
    fi
    sleep 0.02
done
STOP_MS=$(($(now_ms) - TERM_AT))
EXIT_CODE=""
if [[ $EXITED == yes ]]; then
    set +e
    wait "$SERVER_PID"
    EXIT_CODE=$?
    set -e
    SERVER_PID=""
fi
kill "$WRK2_PID" 2>/dev/null || true
wait "$WRK2_PID" 2>/dev/null || true
WRK2_PID=""

FAIL=0
check() { # name, ok (0/1), detail
    local verdict=ok
    [[ $2 == 1 ]] || { verdict=FAIL; FAIL=1; }
    printf '| %-34s | %-44s | %-7s |\n' "$1" "$3" "$verdict"
}
RSS_GROWTH=$((RSS_END - RSS_WARM))
FD_GROWTH=$((FDS_END - FDS_START))

echo
echo "soak summary ($SECONDS_UNDER_LOAD s, $CONNECTIONS connections, routes / /json /plaintext /users/7 /static/style.css POST /api/echo)"
printf '| %-34s | %-44s | %-7s |\n' check value verdict
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "$(printf -- '-%.0s' {1..46})" "---------"
check "requests (req/s, p99 latency)" 1 "$REQUESTS ($RPS/s, p99 $P99)"
check "non-2xx/3xx responses" "$([[ $NON_2XX == 0 ]] && echo 1 || echo 0)" "$NON_2XX"
check "socket errors" "$([[ $SOCKET_ERRORS == 0 ]] && echo 1 || echo 0)" "$SOCKET_ERRORS"
check "RSS start / +10 s / end of load" 1 "$RSS_START / $RSS_WARM / $RSS_LOADED KiB"
check "RSS growth after warm-up" "$([[ $RSS_GROWTH -le $MAX_RSS_GROWTH_KIB ]] && echo 1 || echo 0)" \
    "$RSS_GROWTH KiB (limit $MAX_RSS_GROWTH_KIB), $RSS_END KiB 1 s after"
check "fds start / +10 s / 1 s after" "$([[ $FD_GROWTH -le $MAX_FD_GROWTH ]] && echo 1 || echo 0)" \
    "$FDS_START / $FDS_WARM / $FDS_END"
check "SIGTERM under load: exit in grace" \
    "$([[ $EXITED == yes && $EXIT_CODE == 0 && $STOP_MS -le $((GRACE * 1000)) ]] && echo 1 || echo 0)" \
    "exited=$EXITED code=${EXIT_CODE:-none} after $STOP_MS ms (grace ${GRACE} s)"
echo
if [[ $FAIL != 0 ]]; then
    echo "soak: FAILED (server log: last lines below)"
    tail -n 20 "$WORK/server.log"
    exit 1
fi
echo "soak: passed"
