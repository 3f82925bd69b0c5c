#!/usr/bin/env python3
"""qmp_client.py - what test_qmp.sh asks a real QEMU monitor itself, and a client that holds one.

  qmp_client.py actual SOCKET              prints query-balloon's "actual"
  qmp_client.py set-interval SOCKET QOMPATH N   qom-set guest-stats-polling-interval N
  qmp_client.py hold SOCKET READYFILE      connects, reads the greeting, writes READYFILE and stays connected
                                           until killed (as pvestatd does while it polls)
  qmp_client.py greet SOCKET               prints the seconds until the greeting arrives
"""
import json
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s, s.makefile("rb")


def reply(f):
    while True:
        msg = json.loads(f.readline())
        if "event" not in msg:
            return msg


def command(s, f, execute, **args):
    cmd = {"execute": execute}
    if args:
        cmd["arguments"] = args
    s.sendall((json.dumps(cmd) + "\n").encode())
    return reply(f)


def main():
    what, path = sys.argv[1], sys.argv[2]
    t0 = time.monotonic()
    s, f = connect(path)
    reply(f)
    if what == "greet":
        print("%.3f" % (time.monotonic() - t0))
        return
    if what == "hold":
        with open(sys.argv[3], "w") as ready:
            ready.write("connected\n")
        while s.recv(4096):
            pass
        return
    command(s, f, "qmp_capabilities")
    if what == "actual":
        print(command(s, f, "query-balloon")["return"]["actual"])
    elif what == "set-interval":
        r = command(s, f, "qom-set", path=sys.argv[3], property="guest-stats-polling-interval",
                    value=int(sys.argv[4]))
        if "error" in r:
            sys.exit("qom-set: %s" % r["error"])


main()
