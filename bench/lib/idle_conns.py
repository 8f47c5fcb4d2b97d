#!/usr/bin/env python3
"""Memory cost of idle keep-alive connections: opens COUNT connections to one server, sends one
keep-alive GET on each and reads the whole response (so the server has really set the connection
up, and a proxy has really used its upstream pool), then holds all of them open and idle for HOLD
seconds while sampling the server's resident memory (VmRSS, summed over the given pids, e.g. an
nginx master and its workers). Then it closes everything and exits: the run is bounded in time.

Connections are opened one after another with plain blocking sockets: slower than a burst, but
it never overflows a listen backlog, so every proxy gets exactly the same, reproducible treatment.

usage: idle_conns.py --port P --path /1k --count 10000 --hold 10 --pids 123,124 [--deadline 120]
prints: IDLE opened=N failed=N before_kb=N holding_kb=N after_close_kb=N open_seconds=N
"""
import argparse
import resource
import socket
import sys
import time


def rss_kb(pids):
    """Sum of VmRSS (kB) over pids; a pid that vanished counts as 0."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except FileNotFoundError:
            pass
    return total


def read_response(sock):
    """Reads one HTTP/1.1 response with a Content-Length body; returns the status code."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response headers")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of the body")
        body += chunk
    return status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/1k")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--hold", type=float, default=10.0)
    ap.add_argument("--pids", required=True, help="comma-separated pids whose RSS is summed")
    ap.add_argument("--deadline", type=float, default=120.0,
                    help="stop opening connections after this many seconds, whatever the count")
    args = ap.parse_args()
    pids = [int(p) for p in args.pids.split(",") if p]

    # Each held connection is one file descriptor here; raise our own limit as far as allowed.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, args.count + 1024) if hard != resource.RLIM_INFINITY else args.count + 1024
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    request = (f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
               f"Connection: keep-alive\r\n\r\n").encode()

    time.sleep(1.0)  # let the server settle after whatever ran just before
    before = rss_kb(pids)

    held, failed = [], 0
    first_error = ""
    start = time.monotonic()
    for _ in range(args.count):
        if time.monotonic() - start > args.deadline:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5.0)
        try:
            s.connect(("127.0.0.1", args.port))
            s.sendall(request)
            status = read_response(s)
            if status != 200:
                raise ConnectionError(f"status {status}")
            held.append(s)
        except (OSError, ConnectionError, ValueError, IndexError) as e:
            failed += 1
            first_error = first_error or f"{type(e).__name__}: {e}"
            s.close()
    open_seconds = time.monotonic() - start

    # Hold: sample RSS every half second and keep the highest value seen.
    holding = rss_kb(pids)
    end = time.monotonic() + args.hold
    while time.monotonic() < end:
        time.sleep(0.5)
        holding = max(holding, rss_kb(pids))

    for s in held:
        s.close()
    time.sleep(2.0)
    after = rss_kb(pids)

    if first_error:
        print(f"idle_conns: {failed} connection(s) failed; first: {first_error}", file=sys.stderr)
    print(f"IDLE opened={len(held)} failed={failed} before_kb={before} holding_kb={holding} "
          f"after_close_kb={after} open_seconds={open_seconds:.1f}")


if __name__ == "__main__":
    main()
