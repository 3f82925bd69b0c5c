#!/usr/bin/env python3
"""fake_qmp.py MODE LOG [QEMU-LIKE ARGS...] - a QMP monitor for what Debian's QEMU 7.2 cannot do here.

Real QEMU 7.2 cannot answer with QEMU 9.2's six guest-stats counters, Proxmox VE's patched query-balloon,
a 9.1.9x (9.2.0 release candidate) greeting, garbage, a greeting that never ends, a 10 MB reply, replies one
byte at a time, a monitor that accepts and never speaks, or one that greets and then takes 2 s to answer
query-balloon (so the next client's wait behind kvmmem can be timed), or one that takes 150 ms over each
query-balloon ("lag": how many monitors kvmmem holds at once); this server does, one client at a time as QEMU
does, on the socket named by the -qmp unix:PATH,server=on of its own arguments.  It is started with
argv[0] "qemu-system-x86_64" (see test_qmp.sh) so kvmmem's qemu backend lists it as a QEMU process.  Every
command it receives is appended to LOG, one "execute" name per line, so the test sees what kvmmem sent, and
every connection to LOG's name with .connects for .log, as "connect <client pid>" (SO_PEERCRED), so a test
on a machine where other tests' exporters may connect too sees whose connection it was.

Mode "v92grow" is QEMU 9.2 whose six counters grow with each client: after the n-th qmp_capabilities each is
its own step times (3 + n) (OOM kills 1, allocation stalls 3, async/direct scans 5/2 MiB, async/direct
reclaims 4/1 MiB), all in proportion, so the rate of each over any window is its step times the rate of the
OOM kills, exactly (tests/dashboards: which family each dashboard panel really shows).
"""
import json
import os
import select
import socket
import struct
import sys
import time

MODE, LOG = sys.argv[1], sys.argv[2]
ARGS = sys.argv[3:]
PATH = next(a.split(",")[0][5:] for i, a in enumerate(ARGS) if ARGS[i - 1] == "-qmp")

VERSIONS = {"v92": (9, 2, 0), "v92grow": (9, 2, 0), "pve": (8, 1, 5), "rc": (9, 1, 90), "bytewise": (7, 2, 19), "huge": (7, 2, 19)}
MiB = 1024 * 1024
GROW_STEPS = {"stat-oom-kills": 1, "stat-alloc-stalls": 3, "stat-async-scans": 5 * MiB,
              "stat-direct-scans": 2 * MiB, "stat-async-reclaims": 4 * MiB, "stat-direct-reclaims": MiB}
clients = 0  # qmp_capabilities seen


def greeting():
    major, minor, micro = VERSIONS.get(MODE, (7, 2, 19))
    return {"QMP": {"version": {"qemu": {"major": major, "minor": minor, "micro": micro}, "package": "fake"},
                    "capabilities": ["oob"]}}


def answer(cmd):
    global clients
    ex = cmd.get("execute")
    args = cmd.get("arguments", {})
    if ex == "qmp_capabilities":
        clients += 1
        return {}
    if ex == "query-balloon":
        if MODE == "huge":
            return {"actual": 512 * MiB, "padding": "x" * (10 * 1000 * 1000)}
        if MODE == "pve":
            return {"actual": 1536 * MiB, "max_mem": 2048 * MiB, "total_mem": 1500 * MiB, "free_mem": 600 * MiB,
                    "mem_swapped_in": 4096, "mem_swapped_out": 8192, "major_page_faults": 11,
                    "minor_page_faults": 2222, "last_update": 1764600000}
        return {"actual": 1024 * MiB}
    if ex == "qom-get" and args.get("property") == "guest-stats":
        if MODE == "v92grow":
            stats = {k: step * (3 + clients) for k, step in GROW_STEPS.items()}
            return {"stats": dict(stats, **{"stat-available-memory": 700 * MiB}), "last-update": 1764600100 + clients}
        if MODE == "v92":
            return {"stats": {"stat-free-memory": 100 * MiB, "stat-total-memory": 1000 * MiB,
                              "stat-available-memory": 700 * MiB, "stat-disk-caches": 300 * MiB,
                              "stat-oom-kills": 3, "stat-alloc-stalls": 42, "stat-async-scans": 4096000,
                              "stat-direct-scans": 40960, "stat-async-reclaims": 2048000,
                              "stat-direct-reclaims": 20480, "stat-htlb-pgfail": 2**64 - 1},
                    "last-update": 1764600100}
        return {"stats": {"stat-free-memory": 2**64 - 1}, "last-update": 0}
    if ex == "qom-get" and args.get("property") == "guest-stats-polling-interval":
        return 5
    return None


def send(conn, obj):
    data = (json.dumps(obj) + "\r\n").encode()
    if MODE == "bytewise":
        for i in range(len(data)):
            conn.sendall(data[i:i + 1])
    else:
        conn.sendall(data)


def serve(conn):
    if MODE == "silent":
        while conn.recv(4096):
            pass
        return
    if MODE == "garbage":
        conn.sendall(b"\x00\xffthis is no QMP\r\n")
    elif MODE == "endless":
        conn.sendall(b'{"QMP": {"version": ')
        while True:
            conn.sendall(b" " * 1024)
            time.sleep(0.001)
    send(conn, greeting())
    buf = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            cmd = json.loads(line)
            with open(LOG, "a") as log:
                log.write("%s %s\n" % (cmd.get("execute"), cmd.get("arguments", {}).get("property", "")))
            if MODE == "slow" and cmd.get("execute") != "qmp_capabilities":
                # Busy for 2 s, unless the client leaves first.
                if select.select([conn], [], [], 2.0)[0] and not conn.recv(4096):
                    return
            if MODE == "lag" and cmd.get("execute") == "query-balloon":
                time.sleep(0.15)
            if MODE == "rc" and cmd.get("arguments", {}).get("property") == "guest-stats":
                os._exit(3)  # what 9.2.0's release candidates do: the VM crashes
            ret = answer(cmd)
            reply = {"return": ret} if ret is not None else {"error": {"class": "GenericError", "desc": "no"}}
            if "id" in cmd:
                reply["id"] = cmd["id"]
            if MODE == "v92":
                send(conn, {"event": "BALLOON_CHANGE", "data": {"actual": MiB}, "timestamp": {"seconds": 1}})
            send(conn, reply)


def main():
    try:
        os.unlink(PATH)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(PATH)
    srv.listen(1)
    while True:
        conn, _ = srv.accept()
        pid, _, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
        with open(LOG.replace(".log", ".connects"), "a") as log:
            log.write("connect %d\n" % pid)
        try:
            serve(conn)
        except (BrokenPipeError, ConnectionResetError):
            pass
        conn.close()


main()
