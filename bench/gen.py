#!/usr/bin/env python3
"""gen.py N DIR - a synthetic KVM host of N domains for the benchmark.

DIR/node.xml      libvirt test-driver node (test:///DIR/node.xml); every
                  fifth domain is shut off, every domain has a virtio
                  balloon with a 5 s stats period
DIR/sys           /sys/kernel/mm/ksm with the 24 files of a 6.18 kernel
DIR/proc          meminfo, vmstat, kthreadd (2), ksmd (37) and one QEMU
                  process per running domain (cmdline, stat, ksm_stat,
                  ksm_merging_pages)
DIR/run           <name>.pid per running domain, without a newline, as
                  libvirt writes it
DIR/sys/fs/cgroup the cgroup v2 scope of each running domain as libvirt
                  makes it (machine.slice/machine-qemu\x2d<id>\x2d<name>.scope,
                  QEMU in its libvirt/ child): memory.current, memory.stat,
                  memory.swap.current, memory.events, memory.pressure; and
                  per QEMU process its cgroup and status files

Values differ per domain so nothing compresses unrealistically well.  The
shape of each file follows a real 6.18 host (see tests/fixtures/hosts/k6.18);
the numbers are made up.
"""
import os
import sys

PID_BASE = 10000


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def dom_name(i):
    return "guest-%05d" % i


def uuid(i):
    return "6b1f3c2e-4a5d-4e7f-8a9b-%012x" % i


def node_xml(n):
    out = ["<node>\n",
           "  <cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes>"
           "<sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>\n",
           "  <memory>%d</memory>\n" % (n * 4194304)]
    for i in range(n):
        mem = 1048576 * (1 + i % 8)
        cur = mem - 131072 * (i % 4)
        state = "    <test:runstate>5</test:runstate>\n" if i % 5 == 4 else ""
        out.append(
            "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n"
            "    <name>%s</name>\n"
            "    <uuid>%s</uuid>\n"
            "    <memory unit='KiB'>%d</memory>\n"
            "    <currentMemory unit='KiB'>%d</currentMemory>\n"
            "    <vcpu>%d</vcpu>\n"
            "    <os><type arch='x86_64'>hvm</type></os>\n"
            "    <devices><memballoon model='virtio'><stats period='5'/></memballoon></devices>\n"
            "%s"
            "  </domain>\n" % (dom_name(i), uuid(i), mem, cur, 1 + i % 4, state))
    out.append("</node>\n")
    return "".join(out)


KSM_FILES = {
    "advisor_max_cpu": "70",
    "advisor_max_pages_to_scan": "30000",
    "advisor_min_pages_to_scan": "500",
    "advisor_mode": "[none] scan-time",
    "advisor_target_scan_time": "200",
    "full_scans": "412",
    "general_profit": None,  # derived below
    "ksm_zero_pages": "1363",
    "max_page_sharing": "256",
    "merge_across_nodes": "1",
    "pages_scanned": "48203315",
    "pages_shared": None,
    "pages_sharing": None,
    "pages_skipped": "1093",
    "pages_to_scan": "1000",
    "pages_unshared": "204913",
    "pages_volatile": "13019",
    "run": "1",
    "sleep_millisecs": "20",
    "smart_scan": "1",
    "stable_node_chains": "3",
    "stable_node_chains_prune_millisecs": "2000",
    "stable_node_dups": "41",
    "use_zero_pages": "1",
}


def merging(i):
    return 1000 + (i * 7919) % 20000


def qemu_cmdline(i, mem_mib):
    args = ["/usr/bin/qemu-system-x86_64", "-name", "guest=%s,debug-threads=on" % dom_name(i), "-S",
            "-object",
            '{"qom-type":"secret","id":"masterKey0","format":"raw",'
            '"file":"/var/lib/libvirt/qemu/domain-%d-%s/master-key.aes"}' % (i + 1, dom_name(i)),
            "-machine", "pc-i440fx-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram",
            "-accel", "kvm", "-cpu", "host,migratable=on", "-m", str(mem_mib),
            "-object", '{"qom-type":"memory-backend-ram","id":"pc.ram","size":%d}' % (mem_mib << 20),
            "-overcommit", "mem-lock=off", "-smp", "1,sockets=1,cores=1,threads=1",
            "-uuid", uuid(i), "-no-user-config", "-nodefaults",
            "-chardev", "socket,id=charmonitor,fd=30,server=on,wait=off",
            "-mon", "chardev=charmonitor,id=monitor,mode=control", "-rtc", "base=utc", "-no-shutdown",
            "-boot", "strict=on",
            "-device", '{"driver":"virtio-balloon-pci","id":"balloon0","bus":"pci.0","addr":"0x4"}',
            "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
            "-msg", "timestamp=on"]
    return "\0".join(args) + "\0"


def systemd_escape(s):
    return "".join(c if c.isalnum() or c in "_." else "\\x%02x" % ord(c) for c in s)


def memory_stat(i):
    # The keys of a 6.18 kernel's memory.stat, in its order.
    anon = (200 + i % 700) << 20
    keys = ("anon %d\nfile %d\nkernel %d\nkernel_stack 98304\npagetables %d\nsec_pagetables 0\npercpu 4320\n"
            "sock 0\nvmalloc 16384\nshmem 0\nzswap 0\nzswapped 0\nfile_mapped %d\nfile_dirty 0\nfile_writeback 0\n"
            "swapcached 0\nanon_thp %d\nfile_thp 0\nshmem_thp 0\ninactive_anon %d\nactive_anon %d\ninactive_file %d\n"
            "active_file %d\nunevictable 0\nslab_reclaimable %d\nslab_unreclaimable %d\nslab %d\n"
            % (anon, 33554432 + i, 16777216 + i, 5592405 + i, 8388608, anon // 2, anon // 3, anon - anon // 3,
               16777216, 16777216 + i, 4194304, 3355443, 7549747))
    for k in ("workingset_refault_anon", "workingset_refault_file", "workingset_activate_anon",
              "workingset_activate_file", "workingset_restore_anon", "workingset_restore_file",
              "workingset_nodereclaim", "pgdemote_kswapd", "pgdemote_direct", "pgdemote_khugepaged",
              "pgdemote_proactive", "hugetlb", "pgscan", "pgsteal", "pgscan_kswapd", "pgscan_direct",
              "pgscan_khugepaged", "pgscan_proactive", "pgsteal_kswapd", "pgsteal_direct", "pgsteal_khugepaged",
              "pgsteal_proactive", "pgfault", "pgmajfault", "pgrefill", "pgactivate", "pgdeactivate", "pglazyfree",
              "pglazyfreed", "swpin_zero", "swpout_zero", "zswpin", "zswpout", "zswpwb", "thp_fault_alloc",
              "thp_collapse_alloc", "thp_swpout", "thp_swpout_fallback", "numa_pages_migrated",
              "numa_pte_updates", "numa_hint_faults"):
        keys += "%s %d\n" % (k, (i * 7 + len(k)) % 100000)
    return keys


def proc_status(pid, rss_kib):
    return ("Name:\tqemu-system-x86\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t1\n"
            "TracerPid:\t0\nUid:\t64055\t64055\t64055\t64055\nGid:\t64055\t64055\t64055\t64055\nFDSize:\t128\n"
            "Groups:\t64055\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nKthread:\t0\nVmPeak:\t 3037736 kB\n"
            "VmSize:\t 2966540 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t %7d kB\nVmRSS:\t %7d kB\n"
            "RssAnon:\t %7d kB\nRssFile:\t   20480 kB\nRssShmem:\t       0 kB\nVmData:\t 1200420 kB\nVmStk:\t     132 kB\n"
            "VmExe:\t    6512 kB\nVmLib:\t   41236 kB\nVmPTE:\t    2312 kB\nVmSwap:\t %7d kB\nHugetlbPages:\t       0 kB\n"
            "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t7\nSigQ:\t0/63422\nSigPnd:\t0000000000000000\n"
            "ShdPnd:\t0000000000000000\nSigBlk:\t0000000010002240\nSigIgn:\t0000000000001000\n"
            "SigCgt:\t0000000100004243\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
            "CapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n"
            "Seccomp:\t2\nSeccomp_filters:\t1\nCpus_allowed:\tff\nCpus_allowed_list:\t0-7\n"
            "Mems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t1843\n"
            "nonvoluntary_ctxt_switches:\t12\n"
            % (pid, pid, pid, pid, pid, pid, rss_kib, rss_kib, rss_kib - 20480, pid % 3 * 1024))


def proc_stat(pid, comm, ppid, utime, stime, start):
    # 52 fields as in proc(5) for a 6.x kernel.
    rest = [ppid, pid, pid, 0, -1, 138412352, 89113, 0, 12, 0, utime, stime, 0, 0, 20, 0, 7, 0, start,
            3037736960, 60123, 18446744073709551615, 94467351154688, 94467363718629, 140730796212960, 0, 0, 0,
            0, 4096, 1098924547, 0, 0, 0, 17, 1, 0, 0, 0, 0, 0, 94467367337488, 94467370473472,
            94467395375104, 140730796219307, 140730796220111, 140730796220111, 140730796220383, 0]
    return "%d (%s) S %s\n" % (pid, comm, " ".join(str(x) for x in rest))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen.py N DIR")
    n = int(sys.argv[1])
    top = sys.argv[2]
    ksm = os.path.join(top, "sys/kernel/mm/ksm")
    proc = os.path.join(top, "proc")
    run = os.path.join(top, "run")
    for d in (ksm, proc, run):
        os.makedirs(d, exist_ok=True)

    write(os.path.join(top, "node.xml"), node_xml(n))

    total_merging = 0
    for i in range(n):
        if i % 5 == 4:
            continue
        name = dom_name(i)
        pid = PID_BASE + i
        pdir = os.path.join(proc, str(pid))
        os.makedirs(pdir, exist_ok=True)
        m = merging(i)
        total_merging += m
        mem_mib = 1024 * (1 + i % 8)
        write(os.path.join(pdir, "cmdline"), qemu_cmdline(i, mem_mib))
        write(os.path.join(pdir, "stat"), proc_stat(pid, "qemu-system-x86", 1, 50000 + i, 20000 + i, 180000 + i))
        write(os.path.join(pdir, "ksm_merging_pages"), "%d\n" % m)
        write(os.path.join(pdir, "ksm_stat"),
              "ksm_rmap_items %d\nksm_zero_pages %d\nksm_merging_pages %d\nksm_process_profit %d\n"
              "ksm_merge_any: no\nksm_mergeable: yes\n" % (m * 3 + 11, i % 600, m, m * 4096 - (m * 3 + 11) * 64))
        write(os.path.join(run, name + ".pid"), str(pid))
        scope = "/machine.slice/machine-qemu%s%d%s%s.scope" % (systemd_escape("-"), i + 1, systemd_escape("-"),
                                                            systemd_escape(name))
        write(os.path.join(pdir, "cgroup"), "0::%s/libvirt\n" % scope)
        write(os.path.join(pdir, "status"), proc_status(pid, mem_mib * 512))
        cg = os.path.join(top, "sys/fs/cgroup") + scope
        os.makedirs(os.path.join(cg, "libvirt"), exist_ok=True)
        write(os.path.join(cg, "memory.current"), "%d\n" % (((200 + i % 700) << 20) + 67108864))
        write(os.path.join(cg, "memory.stat"), memory_stat(i))
        write(os.path.join(cg, "memory.swap.current"), "%d\n" % (i % 3 << 20))
        write(os.path.join(cg, "memory.events"), "low 0\nhigh %d\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n" % (i % 4))
        write(os.path.join(cg, "memory.pressure"),
              "some avg10=0.00 avg60=0.00 avg300=0.00 total=%d\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=%d\n"
              % (i * 1000, i * 100))

    shared = max(1, total_merging // 5)
    vals = dict(KSM_FILES)
    vals["pages_shared"] = str(shared)
    vals["pages_sharing"] = str(total_merging - shared)
    vals["general_profit"] = str((total_merging - shared) * 4096 - 204913 * 64)
    for k, v in vals.items():
        write(os.path.join(ksm, k), v + "\n")

    for pid, comm, ppid in ((2, "kthreadd", 0), (37, "ksmd", 2)):
        pdir = os.path.join(proc, str(pid))
        os.makedirs(pdir, exist_ok=True)
        write(os.path.join(pdir, "stat"), proc_stat(pid, comm, ppid, 17, 3921, 27))
        write(os.path.join(pdir, "comm"), comm + "\n")

    fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "hosts", "k6.18",
                           "proc")
    for f in ("meminfo", "vmstat"):
        src = os.path.join(fixture, f)
        if os.path.exists(src):
            with open(src) as s:
                write(os.path.join(proc, f), s.read())
        else:
            sys.exit("gen.py: %s missing" % src)


if __name__ == "__main__":
    main()
