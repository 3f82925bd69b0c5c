#!/usr/bin/env python3
"""qmp_client.py - what the qmp tests ask a real QEMU monitor themselves, and a client that holds one.

  qmp_client.py actual SOCKET              prints query-balloon's "actual"
  qmp_client.py set-interval SOCKET QOMPATH N   qom-set guest-stats-polling-interval N (QOMPATH "find": the
                                           balloon this monitor's QEMU has, by id or under peripheral-anon)
  qmp_client.py stats SOCKET               prints what QEMU answers for the balloon, one "FAMILY VALUE" line
                                           per kvmmem family (see STATS), VALUE "absent" for 2^64-1 and for a
                                           last-update of 0
  qmp_client.py balloon SOCKET BYTES       asks QEMU to balloon the guest to BYTES (the test's write, never
                                           kvmmem's)
  qmp_client.py hold SOCKET READYFILE      connects, reads the greeting, writes READYFILE and stays connected
                                           until killed (as pvestatd does while it polls)
  qmp_client.py greet SOCKET [FILE TEXT]   prints the seconds until the greeting arrives; with FILE and TEXT,
                                           connects as soon as FILE holds TEXT (no shell loop and no interpreter
                                           start-up between the event and the connection)
"""
import json
import socket
import sys
import time

# kvmmem's family (without kvmmem_domain_) of each member of the balloon's guest-stats, as QEMU's
# docs/interop/virtio-balloon-stats.rst names them and libvirt maps them: all in bytes or counts already.
STATS = [
    ("guest_unused_bytes", "stat-free-memory"),
    ("guest_available_bytes", "stat-total-memory"),
    ("guest_usable_bytes", "stat-available-memory"),
    ("guest_disk_caches_bytes", "stat-disk-caches"),
    ("guest_swap_in_bytes_total", "stat-swap-in"),
    ("guest_swap_out_bytes_total", "stat-swap-out"),
    ("guest_major_faults_total", "stat-major-faults"),
    ("guest_minor_faults_total", "stat-minor-faults"),
    ("guest_hugetlb_allocations_total", "stat-htlb-pgalloc"),
    ("guest_hugetlb_failures_total", "stat-htlb-pgfail"),
]
ABSENT = 2**64 - 1


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


def balloon_path(s, f):
    """The QOM path of the virtio-balloon-pci device, by id or anonymous."""
    for parent in ("/machine/peripheral", "/machine/peripheral-anon"):
        for child in command(s, f, "qom-list", path=parent).get("return", []):
            if child["type"] == "child<virtio-balloon-pci>":
                return parent + "/" + child["name"]
    sys.exit("no virtio-balloon-pci device")


def get(s, f, path, prop):
    r = command(s, f, "qom-get", path=path, property=prop)
    if "error" in r:
        sys.exit("qom-get %s %s: %s" % (path, prop, r["error"]))
    return r["return"]


def stats(s, f):
    path = balloon_path(s, f)
    print("balloon_current_bytes %d" % command(s, f, "query-balloon")["return"]["actual"])
    print("balloon_stats_period_seconds %d" % get(s, f, path, "guest-stats-polling-interval"))
    r = get(s, f, path, "guest-stats")
    print("guest_stats_updated_timestamp_seconds %s" % (r["last-update"] or "absent"))
    for family, member in STATS:
        v = r["stats"].get(member, ABSENT)
        print("%s %s" % (family, "absent" if v == ABSENT else v))


def wait_for(file, text, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(file) as f:
                if text in f.read():
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    sys.exit("%s: no %r within %.0f s" % (file, text, timeout))


def main():
    what, path = sys.argv[1], sys.argv[2]
    if what == "greet" and len(sys.argv) == 5:
        wait_for(sys.argv[3], sys.argv[4])
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
    elif what == "stats":
        stats(s, f)
    elif what == "balloon":
        r = command(s, f, "balloon", value=int(sys.argv[3]))
        if "error" in r:
            sys.exit("balloon: %s" % r["error"])
    elif what == "set-interval":
        qom = balloon_path(s, f) if sys.argv[3] == "find" else sys.argv[3]
        r = command(s, f, "qom-set", path=qom, property="guest-stats-polling-interval", value=int(sys.argv[4]))
        if "error" in r:
            sys.exit("qom-set: %s" % r["error"])


main()
