#!/usr/bin/env python3
"""gen_procs.py P Q DIR - a procfs tree of P processes, Q of them QEMU, for
the discovery benchmark (bench/discovery.sh).

DIR/proc/<pid>/   cmdline and stat of every process: two in five are kernel
                  threads (empty cmdline, as the kernel shows them), the
                  rest ordinary programs, and Q are Proxmox VE guests
                  (/usr/bin/kvm with qemu-server's options, about 2 kB of
                  command line each); QEMU processes also have ksm_stat
DIR/qemu-server/  <vmid>.pid of every guest, as qemu-server writes it

The command lines follow tests/fixtures/hosts/proxmox; numbers are made up.
"""
import os
import sys

PROGRAMS = [
    ["/usr/sbin/sshd", "-D"],
    ["/usr/bin/perl", "/usr/bin/pvestatd"],
    ["/usr/bin/bash", "-l"],
    ["/usr/lib/systemd/systemd-journald"],
    ["/usr/sbin/cron", "-f"],
    ["/usr/bin/python3", "/usr/bin/fail2ban-server", "-xf", "start"],
]


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def kvm_argv(vmid):
    return ["/usr/bin/kvm", "-id", str(vmid), "-name", "vm-%d,debug-threads=on" % vmid, "-no-shutdown",
            "-chardev", "socket,id=qmp,path=/var/run/qemu-server/%d.qmp,server=on,wait=off" % vmid,
            "-mon", "chardev=qmp,mode=control",
            "-chardev", "socket,id=qmp-event,path=/var/run/qmeventd.sock,reconnect-ms=5000",
            "-mon", "chardev=qmp-event,mode=control",
            "-pidfile", "/var/run/qemu-server/%d.pid" % vmid, "-daemonize",
            "-smbios", "type=1,uuid=7b10d7af-b932-4c66-b2c3-%012d" % vmid,
            "-smp", "2,sockets=1,cores=2,maxcpus=2", "-nodefaults",
            "-boot", "menu=on,strict=on,reboot-timeout=1000,splash=/usr/share/qemu-server/bootsplash.jpg",
            "-vnc", "unix:/var/run/qemu-server/%d.vnc,password=on" % vmid,
            "-cpu", "kvm64,enforce,+kvm_pv_eoi,+kvm_pv_unhalt,+lahf_lm,+sep",
            "-m", str(1024 + 512 * (vmid % 8)),
            "-device", "pci-bridge,id=pci.1,chassis_nr=1,bus=pci.0,addr=0x1e",
            "-device", "pci-bridge,id=pci.2,chassis_nr=2,bus=pci.0,addr=0x1f",
            "-device", "piix3-usb-uhci,id=uhci,bus=pci.0,addr=0x1.0x2",
            "-device", "usb-tablet,id=tablet,bus=uhci.0,port=1",
            "-device", "VGA,id=vga,bus=pci.0,addr=0x2",
            "-device", "virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x3,free-page-reporting=on",
            "-iscsi", "initiator-name=iqn.1993-08.org.debian:01:aabbccddeeff",
            "-drive", "file=/var/lib/vz/images/%d/vm-%d-disk-0.qcow2,if=none,id=drive-scsi0,discard=on,"
                      "format=qcow2,cache=none,aio=io_uring,detect-zeroes=unmap" % (vmid, vmid),
            "-device", "virtio-scsi-pci,id=scsihw0,bus=pci.0,addr=0x5",
            "-device", "scsi-hd,bus=scsihw0.0,channel=0,scsi-id=0,lun=0,drive=drive-scsi0,id=scsi0,bootindex=100",
            "-netdev", "type=tap,id=net0,ifname=tap%di0,script=/usr/libexec/qemu-server/pve-bridge,"
                       "downscript=/usr/libexec/qemu-server/pve-bridgedown,vhost=on" % vmid,
            "-device", "virtio-net-pci,mac=BC:24:11:%02X:%02X:%02X,netdev=net0,bus=pci.0,addr=0x12,id=net0"
                       % (vmid >> 16 & 255, vmid >> 8 & 255, vmid & 255),
            "-machine", "type=pc-i440fx-9.0+pve0"]


def stat(pid, comm, start, rss):
    return ("%d (%s) S 1 %d %d 0 -1 138412352 89113 0 12 0 5123 2087 0 0 20 0 7 0 %d 3037736960 %d "
            "18446744073709551615 1 1 0 0 0 0 0 4096 1098924547 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
            % (pid, comm, pid, pid, start, rss)).encode()


def main():
    p, q, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.makedirs(d + "/qemu-server", exist_ok=True)
    step = p // q if q else p + 1
    nq = 0
    for i in range(p):
        pid = 1000 + i
        pd = "%s/proc/%d" % (d, pid)
        os.makedirs(pd, exist_ok=True)
        if q and i % step == 0 and nq < q:
            vmid = 100 + nq
            nq += 1
            write(pd + "/cmdline", b"\0".join(a.encode() for a in kvm_argv(vmid)) + b"\0")
            write(pd + "/stat", stat(pid, "kvm", 100000 + i, 50000 + i))
            m = 1000 + i
            write(pd + "/ksm_stat", ("ksm_rmap_items %d\nksm_zero_pages 0\nksm_merging_pages %d\n"
                                     "ksm_process_profit %d\nksm_merge_any: no\nksm_mergeable: yes\n"
                                     % (m * 3, m, m * 4096 - m * 192)).encode())
            write("%s/qemu-server/%d.pid" % (d, vmid), b"%d\n" % pid)
        elif i % 5 < 2:
            write(pd + "/cmdline", b"")
            write(pd + "/stat", stat(pid, "kworker/%d:1" % (i % 2), 10 + i, 0))
        else:
            argv = PROGRAMS[i % len(PROGRAMS)]
            write(pd + "/cmdline", b"\0".join(a.encode() for a in argv) + b"\0")
            write(pd + "/stat", stat(pid, os.path.basename(argv[0])[:15], 500 + i, 2000 + i % 100))


main()
