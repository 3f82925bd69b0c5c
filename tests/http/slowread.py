#!/usr/bin/env python3
"""slowread.py PORT N SECONDS OUT - slow readers: N clients ask for the plain text and never read it.

The clients connect one every 10 ms, 50 from each of 127.0.0.1, 127.0.0.2, ...
(one address may hold 64 connections), with the smallest receive buffer the
kernel allows, send one GET of /metrics each and then read nothing for
SECONDS.  Writes to OUT how many the server had not closed by then:

  open K
"""
import socket
import sys
import time

port, n, secs, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("127.0.0.%d" % (1 + i // 50), 0))
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    except OSError:
        pass
    socks.append(s)
    time.sleep(0.01)
time.sleep(secs)
still = 0
for s in socks:
    s.setblocking(False)
    try:
        if s.recv(1, socket.MSG_PEEK) != b"":
            still += 1
    except BlockingIOError:
        still += 1
    except OSError:
        pass
    s.close()
with open(out, "w") as f:
    f.write("open %d\n" % still)
