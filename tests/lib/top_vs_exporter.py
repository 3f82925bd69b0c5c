#!/usr/bin/env python3
# top_vs_exporter.py EXPOSITION JSON [--live] [--domains=A,B,...] - does kvmmem-top --json (its first
# document) report what the exporter's exposition does?  Prints "same", or one line per difference.
#
# Which collectors succeeded, and per domain: maximum, balloon current, the guest's own report (available, usable, unused, disk caches,
# the time of its last report, and guest used = available - usable), KSM merged (merging pages x page
# size) and KSM profit; absent in one is absent in the other.  Without --live also RSS, host cost, the
# host's memory and KSM totals, and the same set of domains.
#
# --live is for a real host, where the two front-ends collect a moment apart: RSS, host cost and the
# host's totals move between any two collections, so they are left out (the e2e checks them against the
# kernel itself), and only the domains named by --domains are compared (other QEMU processes on the
# machine come and go).  Guest reports and KSM counters also move, every few seconds: the caller retries
# until a pair of collections agrees.
import json
import re
import sys

args = [a for a in sys.argv[1:] if not a.startswith('--')]
live = '--live' in sys.argv[1:]
only = None
for a in sys.argv[1:]:
    if a.startswith('--domains='):
        only = [d for d in a[len('--domains='):].split(',') if d]
if len(args) != 2:
    sys.exit('usage: top_vs_exporter.py EXPOSITION JSON [--live] [--domains=A,B,...]')
prom, doc = args[0], json.loads(open(args[1]).readline())

series = {}
collectors = {}
sample = re.compile(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$')
label = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"')
for line in open(prom):
    m = sample.match(line.rstrip('\n'))
    if not m:
        continue
    labels = {k: re.sub(r'\\(.)', lambda e: '\n' if e.group(1) == 'n' else e.group(1), v)
              for k, v in label.findall(m.group(2) or '')}
    series[(m.group(1), labels.get('domain'))] = float(m.group(3))
    if m.group(1) == 'kvmmem_scrape_collector_success':
        collectors[labels.get('collector')] = float(m.group(3))


def prom_value(name, dom=None):
    return series.get(('kvmmem_' + name, dom))


def times(a, b):
    return a * b if a is not None and b is not None else None


def minus(a, b):
    return a - b if a is not None and b is not None and a >= b else None


bad = []


def same(what, top, exp):
    if (top is None) != (exp is None) or (top is not None and float(top) != exp):
        bad.append('%s: kvmmem-top %r, exporter %r' % (what, top, exp))


for c, src in sorted(doc['sources'].items()):
    same('collector %s succeeded' % c, (1 if src['success'] else 0) if src['enabled'] else None,
         collectors.get(c))
page = prom_value('host_page_size_bytes')
exp_doms = sorted(d for (n, d) in series if n == 'kvmmem_domain_state_code')
top_doms = {d['name']: d for d in doc['domains']}
if only is None:
    if sorted(top_doms) != exp_doms:
        bad.append('domains: kvmmem-top %r, exporter %r' % (sorted(top_doms), exp_doms))
    names = sorted(top_doms)
else:
    names = only
    for n in only:
        if n not in top_doms or n not in exp_doms:
            bad.append('%s: in kvmmem-top %s, in the exporter %s' % (n, n in top_doms, n in exp_doms))
    names = [n for n in only if n in top_doms]

if not live:
    host = doc['host']
    same('memory total', host['memory_total_bytes'], prom_value('host_memory_total_bytes'))
    same('memory available', host['memory_available_bytes'], prom_value('host_memory_available_bytes'))
    same('KSM saved', host['ksm_saved_bytes'], times(prom_value('ksm_pages_sharing'), page))
    same('KSM profit', host['ksm_general_profit_bytes'], prom_value('ksm_general_profit_bytes'))

for n in names:
    d = top_doms[n]
    same(n + ' maximum', d['maximum_bytes'], prom_value('domain_memory_maximum_bytes', n))
    same(n + ' current', d['current_bytes'], prom_value('domain_balloon_current_bytes', n))
    avail = prom_value('domain_guest_available_bytes', n)
    usable = prom_value('domain_guest_usable_bytes', n)
    same(n + ' guest available', d['guest_available_bytes'], avail)
    same(n + ' guest usable', d['guest_usable_bytes'], usable)
    same(n + ' guest used', d['guest_used_bytes'], minus(avail, usable))
    same(n + ' guest unused', d['guest_unused_bytes'], prom_value('domain_guest_unused_bytes', n))
    same(n + ' guest caches', d['guest_disk_caches_bytes'], prom_value('domain_guest_disk_caches_bytes', n))
    same(n + ' guest last update', d['guest_stats_updated_timestamp_seconds'],
         prom_value('domain_guest_stats_updated_timestamp_seconds', n))
    same(n + ' KSM merged', d['ksm_merged_bytes'], times(prom_value('domain_ksm_merging_pages', n), page))
    same(n + ' KSM profit', d['ksm_profit_bytes'], prom_value('domain_ksm_profit_bytes', n))
    if live:
        continue
    same(n + ' rss', d['rss_bytes'], prom_value('domain_rss_bytes', n))
    if ('kvmmem_domain_host_memory_bytes', n) in series or d['host_memory_bytes'] is not None:
        same(n + ' host cost', d['host_memory_bytes'], prom_value('domain_host_memory_bytes', n))
print('\n'.join(bad) if bad else 'same')
