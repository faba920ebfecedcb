#!/bin/bash
# A server's system calls and CPU time per request under compare.sh's load (BENCHMARKS.md, "Under wrk").
#
#   scripts/under_wrk.sh NAME BINARY PORT [syscalls|profile|time]
#
# Starts BINARY (PORT in the environment, as the harness does) on CPU 0 and `wrk -t1 -c64 -d10s` against
# /plaintext on CPU 1, and from second 2 measures for 5 s:
#   syscalls (default): per request (= per recvfrom, one per request without pipelining) the epoll_wait,
#     recvfrom, sendto and writev calls by kernel tracepoint (`perf stat`), context switches, and the
#     server's user and system CPU time (/proc/PID/stat);
#   profile: user-space time per request by function (`perf record -e cpu-clock`, no call graphs), in
#     buckets: the framework's code, tokio, libc's system-call wrappers (the sample on the first
#     instruction after each return from the kernel), malloc, mem*, the rest.
#   time: nothing attached; the server's user and system CPU time per request over a whole 10 s run after a
#     2 s warm-up (compare.sh's measure, one server at a time; PATHNAME sets the path, default plaintext).
# Needs perf (software events and tracepoints are enough: no hardware counters on a VM), wrk, taskset.
set -eu
NAME=$1 BIN=$2 PORT=$3 MODE=${4:-syscalls}
OUT=${OUT:-/tmp/under_wrk}
mkdir -p "$OUT"
PORT=$PORT taskset -c 0 "$BIN" >/dev/null 2>&1 &
S=$!
trap 'kill $S 2>/dev/null || true' EXIT
# the server's user and system CPU time so far, in clock ticks (all threads)
ticks() { awk '{print $14, $15}' "/proc/$S/stat"; }
sleep 0.8
if [ "$MODE" = time ]; then
  URL="http://127.0.0.1:$PORT/${PATHNAME:-plaintext}"
  taskset -c 1 wrk -t1 -c64 -d2s "$URL" >/dev/null
  read -r u0 s0 <<< "$(ticks)"
  taskset -c 1 wrk -t1 -c64 -d10s "$URL" > "$OUT/$NAME.wrk"
  read -r u1 s1 <<< "$(ticks)"
  n=$(awk '/requests in/ {print $1}' "$OUT/$NAME.wrk")
  awk -v n="$n" -v u="$((u1 - u0))" -v s="$((s1 - s0))" -v hz="$(getconf CLK_TCK)" -v name="$NAME" \
    'BEGIN { printf "%s: user µs/req %.3f  sys µs/req %.3f  req/s %.0f\n", name, u / hz / n * 1e6, s / hz / n * 1e6, n / 10 }'
  exit 0
fi
taskset -c 1 wrk -t1 -c64 -d10s "http://127.0.0.1:$PORT/plaintext" > "$OUT/$NAME.wrk" &
W=$!
sleep 2
read -r u0 s0 <<< "$(ticks)"
if [ "$MODE" = profile ]; then
  perf record -q -F 2999 -e cpu-clock -p "$S" -o "$OUT/$NAME.perf.data" -- sleep 5 >/dev/null 2>&1
else
  perf stat -x, -e syscalls:sys_enter_epoll_wait,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_writev,context-switches \
    -p "$S" -- sleep 5 2> "$OUT/$NAME.stat"
fi
read -r u1 s1 <<< "$(ticks)"
wait $W
rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/$NAME.wrk")
if [ "$MODE" = profile ]; then
  perf report -i "$OUT/$NAME.perf.data" -n --sort dso,sym -g none --percent-limit 0 2>/dev/null | grep -v '^#' > "$OUT/$NAME.report"
  python3 - "$NAME" "$rps" "$OUT/$NAME.report" <<'PY'
import collections, re, sys
name, rps, report = sys.argv[1], float(sys.argv[2]), sys.argv[3]
req = rps * 5  # wrk's mean rate over the 5 s window
text = open(report).read()
ours = 'micro_http' in text  # our connection loop is inlined into tokio's task poll; a peer's is not
b = collections.Counter()
for line in text.splitlines():
    m = re.match(r'\s*[\d.]+%\s+(\d+)\s+(\S+)\s+\[(.)\]\s+(.*)$', line)
    if not m:
        continue
    n, dso, kind, sym = int(m.group(1)), m.group(2), m.group(3), m.group(4)
    if kind == 'k':
        k = 'kernel'
    elif dso.startswith('libc'):
        if re.search(r'^syscall$|send|recv|writev|epoll_wait|asynccancel', sym):
            k = 'libc: system-call wrappers'
        elif re.search(r'malloc|free|_int_|unlink|tcache', sym):
            k = 'libc: malloc/free'
        elif re.search(r'mem(cpy|move|cmp|set)', sym):
            k = 'libc: mem*'
        else:
            k = 'the rest'
    elif sym.startswith('tokio::runtime::task::raw::poll') and ours:
        k = 'the framework (its connection loop, inlined into tokio\'s task poll)'
    elif re.search(r'micro_http|techempower|hyper|^http::|httparse|peer_', sym):
        k = 'the framework'
    elif re.search(r'tokio::|mio::', sym):
        k = 'tokio, mio'
    else:
        k = 'the rest'
    b[k] += n
us = lambda n: n / 2999 / req * 1e6
user = sum(v for k, v in b.items() if k != 'kernel')
print(f"{name}: user {us(user):.2f} µs/req, kernel {us(b['kernel']):.2f} µs/req")
for k, v in sorted(b.items(), key=lambda x: -x[1]):
    if k != 'kernel':
        print(f"   {k:70} {us(v):.3f} µs/req  {100 * v / user:4.0f}%")
PY
else
  python3 - "$NAME" "$OUT/$NAME.stat" "$u0" "$u1" "$s0" "$s1" "$(getconf CLK_TCK)" <<'PY'
import sys
name, stat, u0, u1, s0, s1, hz = sys.argv[1:]
c = {}
for line in open(stat):
    p = line.strip().split(',')
    if len(p) > 2 and p[0].replace('.', '').isdigit():
        c[p[2].split(':')[-1].replace('sys_enter_', '')] = float(p[0])
req = c['recvfrom']
tick = 1e6 / int(hz)
send = c.get('sendto', 0) + c.get('writev', 0)
print(f"{name}: epoll_wait/req {c['epoll_wait'] / req:.3f}  send/req {send / req:.3f}  "
      f"all {(c['epoll_wait'] + req + send) / req:.2f}  context switches/req {c['context-switches'] / req:.4f}  "
      f"user µs/req {(int(u1) - int(u0)) * tick / req:.2f}  sys µs/req {(int(s1) - int(s0)) * tick / req:.2f}")
PY
fi
