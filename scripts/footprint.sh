#!/bin/bash
# The memory a server touches per request: distinct 64-byte cache lines of code and of data (BENCHMARKS.md,
# "Footprint").
#
#   scripts/footprint.sh NAME BINARY [breakdown]
#
# Starts BINARY (PORT in the environment, as the harness does) under `valgrind --tool=lackey --trace-mem=yes`,
# which writes every instruction address and every data access of the process, sends it 100 warm-up and then
# 400 plaintext requests (PATHNAME=json: /json) over one keep-alive connection (shared/bench/fixedload.py), and
# cuts the trace into request periods at each entry to the C library's `epoll_wait` (one per request on one
# connection, for every server here). For the middle 200 periods it prints the medians of: code lines, data
# lines, instructions; and the runs the lines make (a run: consecutive lines, all touched; its first line is
# the one a fetch waits for, the next-line prefetch hides the rest).
# `breakdown` also lists one period's code lines by function and its data lines by mapping (stack, heap,
# the binary's data).
#
# Why lines and not instructions: between two requests the kernel's loopback TCP path runs for ~10 µs on the
# same core and evicts the first-level caches, so what a request touches is fetched again. Across seven
# servers, user time per request under wrk follows lines or runs (R² 0.98) more closely than instructions
# (0.91); runs also predict a change that only lines did not (BENCHMARKS.md, "Footprint"). Deterministic: the
# same binary gives the same counts to within a line or two.
# FP_CONNS and FP_REQUESTS change the load (default 1 connection, 400 requests); with several connections a
# period holds several requests, and the medians above are per period, not per request.
# Needs valgrind, python3, taskset, ss, nm; glibc (the marker is its `epoll_wait`).
set -eu
NAME=$1 BIN=$(readlink -f "$2") MODE=${3:-}  # absolute: it is matched against /proc/PID/maps
PORT=${PORT:-28777}
OUT=${OUT:-/tmp/footprint}
BENCH=${BENCH_DIR:-$(dirname "$0")/../../shared/bench}
mkdir -p "$OUT"
PORT=$PORT taskset -c 0 valgrind --tool=lackey --trace-mem=yes --log-file="$OUT/$NAME.trace" "$BIN" >/dev/null 2>&1 &
V=$!
trap 'kill -KILL $V 2>/dev/null || true' EXIT
for _ in $(seq 300); do ss -ltn | grep -q ":$PORT " && break; sleep 0.2; done
# valgrind runs the program in its own process (the tool's), whose maps give the load addresses
VP=$(pgrep -n -f "lackey.*$BIN")
cp "/proc/$VP/maps" "$OUT/$NAME.maps"
taskset -c 1 python3 "$BENCH/fixedload.py" --port "$PORT" --requests ${FP_REQUESTS:-400} --conns ${FP_CONNS:-1} --paths "${PATHNAME:-plaintext}" \
  --warmup 100 >/dev/null
kill -KILL "$VP" 2>/dev/null || true
wait $V 2>/dev/null || true
python3 - "$NAME" "$BIN" "$OUT" "$MODE" <<'PY'
import bisect, collections, re, statistics, subprocess, sys
name, binpath, out, mode = sys.argv[1:]
maps = []
for l in open(f'{out}/{name}.maps'):
    p = l.split()
    lo, hi = (int(x, 16) for x in p[0].split('-'))
    maps.append((lo, hi, int(p[2], 16), p[5] if len(p) > 5 else '[anon]'))
def mapping(a):
    for lo, hi, off, path in maps:
        if lo <= a < hi:
            return path, lo, hi
    return '?', 0, 0
def base(path):
    return min(lo - off for lo, hi, off, p in maps if p == path)
def symbols(path, dynamic=False):
    cmd = ['nm', '-n', '-C', '--defined-only'] + (['-D'] if dynamic else []) + [path]
    s = []
    for l in subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines():
        p = l.split(' ', 2)
        if len(p) == 3 and p[1] in 'tTwWiI':
            s.append((int(p[0], 16), p[2]))
    return [a for a, _ in s], [n for _, n in s]
libc_path = next(p for lo, hi, off, p in maps if p.endswith('/libc.so.6'))
libc_syms = symbols(libc_path, dynamic=True)
marker = base(libc_path) + next(a for a, n in zip(*libc_syms) if n.startswith('epoll_wait'))
periods, code, data, n = [], set(), set(), 0
with open(f'{out}/{name}.trace') as f:
    for line in f:
        if line[0] == 'I':
            a = int(line[3:line.index(',')], 16)
            if a == marker:
                periods.append((code, data, n))
                code, data, n = set(), set(), 0
            code.add(a >> 6)
            n += 1
        elif line[0] == ' ':
            p = line.split()
            if len(p) == 2:
                data.add(int(p[1][:p[1].index(',')], 16) >> 6)
k = len(periods)
mid = periods[k // 2 - 100:k // 2 + 100]
med = lambda f: statistics.median(f(p) for p in mid)
runs = lambda lines: sum(1 for l in lines if l - 1 not in lines)
print(f"{name}: per request, median of {len(mid)} of {k} periods: "
      f"code lines {med(lambda p: len(p[0])):.0f} in {med(lambda p: runs(p[0])):.0f} runs, "
      f"data lines {med(lambda p: len(p[1])):.0f} in {med(lambda p: runs(p[1])):.0f} runs, "
      f"instructions {med(lambda p: p[2]):.0f}")
if mode != 'breakdown':
    sys.exit(0)
c, d, _ = periods[k // 2]
tables = {binpath: (base(binpath), symbols(binpath)), libc_path: (base(libc_path), libc_syms)}
def function(a):
    path = mapping(a)[0]
    if path not in tables:
        return path
    b, (addrs, names) = tables[path]
    i = bisect.bisect_right(addrs, a - b) - 1
    name = names[i] if i >= 0 else '?'
    for _ in range(3):
        name = re.sub(r'<[^<>]*>', '<>', name)
    return name[:100]
print("code lines by function (the function at each line's first byte):")
for f, m in collections.Counter(function(l << 6) for l in c).most_common(30):
    print(f"  {m:4d}  {f}")
print("data lines by mapping:")
for r, m in collections.Counter('%s %x-%x' % mapping(l << 6) for l in d).most_common(10):
    print(f"  {m:4d}  {r}")
PY
