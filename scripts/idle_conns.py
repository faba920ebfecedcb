#!/usr/bin/env python3
"""Memory per idle keep-alive connection of a running server (BENCHMARKS.md, "memory per idle connection").

    scripts/idle_conns.py PID PORT [CONNECTIONS [kept|silent]]   # default 10,000 connections, kept

Reads the server's VmRSS, opens CONNECTIONS connections to 127.0.0.1:PORT, sends one `GET /plaintext` on each
and reads its response (so every connection has served a request and is idle, kept alive), waits 2 s, reads
VmRSS again and prints the difference per connection. `silent`: connections that never send a byte instead.
Use a freshly started server for each measurement: freed memory is kept by the allocator, so a second batch
would reuse it and show almost nothing.
Python stdlib only; raise the open-file limit first (`ulimit -n 30000`).
"""
import resource
import selectors
import socket
import sys
import time

REQUEST = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS")


def open_all(port, n, send):
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if send:
            s.sendall(REQUEST)
        conns.append(s)
    if send:
        # Read every response (all of one fits in a single read: a small head and a 13-byte body).
        sel = selectors.DefaultSelector()
        for s in conns:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
        pending, deadline = len(conns), time.time() + 60
        while pending and time.time() < deadline:
            for key, _ in sel.select(timeout=1):
                data = key.fileobj.recv(4096)
                if not data.startswith(b"HTTP/1.1 200 "):
                    raise SystemExit(f"unexpected answer: {data[:40]!r}")
                sel.unregister(key.fileobj)
                pending -= 1
        if pending:
            raise SystemExit(f"{pending} connections got no answer")
    return conns


def measure(pid, port, n, send):
    before = rss_kib(pid)
    conns = open_all(port, n, send)
    time.sleep(2)
    after = rss_kib(pid)
    what = "after one request each (kept alive)" if send else "that never sent a byte"
    print(f"{n} idle connections {what}: VmRSS {before} -> {after} KiB, "
          f"{(after - before) * 1024 / n:.0f} B per connection")
    for s in conns:
        s.close()
    time.sleep(2)


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    mode = sys.argv[4] if len(sys.argv) > 4 else "kept"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 100)), hard))
    measure(pid, port, n, send=(mode != "silent"))


if __name__ == "__main__":
    main()
