#!/usr/bin/env python3
"""authflood.py PORT N SECONDS OUT - a wrong-password flood.

Keeps N requests with a wrong password in flight for SECONDS: N connections,
50 from each of 127.0.0.1, 127.0.0.2, ... (one address may hold 64), each
sending GET /metrics with basic auth alice:wrong and Connection: close, and a
new one as soon as the answer is in.  Writes to OUT how the answers went:

  answers K       responses received
  status CODE C   how many had each status
"""
import selectors
import socket
import sys
import time

port, n, secs, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
REQ = (b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6d3Jvbmc=\r\n"
       b"Connection: close\r\n\r\n")
sel = selectors.DefaultSelector()
codes = {}


def start(i):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.%d" % (1 + i // 50), 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        return
    sel.register(s, selectors.EVENT_WRITE, [i, b""])


def done(s, data):
    sel.unregister(s)
    s.close()
    if data[1].startswith(b"HTTP/1.1 "):
        c = data[1][9:12].decode()
        codes[c] = codes.get(c, 0) + 1
    start(data[0])


for i in range(n):
    start(i)
t0 = time.monotonic()
while time.monotonic() - t0 < secs:
    for key, ev in sel.select(0.2):
        s, data = key.fileobj, key.data
        if ev & selectors.EVENT_WRITE:
            try:
                s.sendall(REQ)
                sel.modify(s, selectors.EVENT_READ, data)
            except OSError:
                done(s, data)
            continue
        try:
            b = s.recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            b = b""
        if b:
            data[1] += b
        else:
            done(s, data)
with open(out, "w") as f:
    f.write("answers %d\n" % sum(codes.values()))
    for c in sorted(codes):
        f.write("status %s %d\n" % (c, codes[c]))
