#!/usr/bin/env python3
"""A new TLS connection per request, HTTP/1.1 with `Connection: close`, for a bounded time:
the client `openssl s_time` cannot be (it sends HTTP/1.0, which Portico's fast path hands to the
full pipeline). With --reuse each connection offers the session (TLS 1.3 ticket) the previous one
received, as a browser does; without it every handshake is a full one.

    tls_close_client.py HOST PORT PATH SECONDS [--reuse]

Prints "N connections in S s; R resumed" (bench/pair.sh sums N over its clients). Loopback only;
certificates are not verified (the bench's own self-signed ones).
"""
import socket
import ssl
import sys
import time


def main() -> int:
    host, port, path, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    reuse = "--reuse" in sys.argv[5:]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
    session = None
    done = resumed = failed = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end and failed < 100:
        try:
            with socket.create_connection((host, port), timeout=10) as raw:
                # As browsers do: the Finished and the request go out at once, not behind an ACK.
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with context.wrap_socket(raw, server_hostname="localhost", session=session if reuse else None) as tls:
                    tls.sendall(request)
                    received = b""
                    while chunk := tls.recv(65536):
                        received += chunk
                    if not received.startswith(b"HTTP/1.1 200"):
                        failed += 1
                        continue
                    done += 1
                    resumed += tls.session_reused
                    if reuse:
                        session = tls.session
        except (OSError, ssl.SSLError):
            failed += 1
    print(f"{done} connections in {seconds:g} s; {resumed} resumed; {failed} failed")
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
