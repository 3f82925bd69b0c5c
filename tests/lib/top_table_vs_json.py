#!/usr/bin/env python3
# top_table_vs_json.py TABLE JSON --domains=A,B,... - does kvmmem-top's table (what --once prints, or a
# capture of the live screen) show the sources of kvmmem-top --json and each named domain's row with the
# state and the balloon numbers (MAX, CUR, BALLOON) of that JSON, in the binary units a person reads?
# Prints "same", or one line per difference.
#
# The sizes are formatted here the way kvmmem-top(1) describes them (1024-based B K M G T P E, one decimal
# below 9.95, "-" when absent), so a wrong unit or rounding on the screen is caught, not copied.
import json
import sys

args = [a for a in sys.argv[1:] if not a.startswith('--')]
names = []
for a in sys.argv[1:]:
    if a.startswith('--domains='):
        names = [d for d in a[len('--domains='):].split(',') if d]
if len(args) != 2 or not names:
    sys.exit('usage: top_table_vs_json.py TABLE JSON --domains=A,B,...')
lines = open(args[0]).read().split('\n')
doc = json.loads(open(args[1]).readline())


def human(v):
    if v is None:
        return '-'
    x, u = abs(float(v)), 0
    while x >= 1024 and u < 6:
        x /= 1024
        u += 1
    sign = '-' if v < 0 else ''
    if u == 0 or x >= 9.95:
        return '%s%.0f%s' % (sign, x, 'BKMGTPE'[u])
    return '%s%.1f%s' % (sign, x, 'BKMGTPE'[u])


bad = []
# The sources line: every enabled collector, a hypervisor backend "up" or "down", the others "ok" or
# "failed", "idle" when it did not run.
backends = ('libvirt', 'qemu')
want = 'sources: ' + '  '.join(
    '%s %s' % (c, 'idle' if not s['ran'] else ('up' if s['success'] else 'down') if c in backends
               else ('ok' if s['success'] else 'failed'))
    for c, s in doc['sources'].items() if s['enabled'])
got = next((l.rstrip() for l in lines if l.startswith('sources: ')), None)
if got != want:
    bad.append('sources: table %r, JSON says %r' % (got, want))
head = next((i for i, l in enumerate(lines) if l.startswith('NAME ')), None)
if head is None:
    print('no heading line (NAME ...) in the table')
    sys.exit(0)
headings = lines[head].split()
rows = {}
for line in lines[head + 1:]:
    if not line.strip():
        break
    cells = line.split()
    rows[cells[0]] = dict(zip(headings, cells))
doms = {d['name']: d for d in doc['domains']}
for n in names:
    if n not in rows:
        bad.append('%s: no row in the table' % n)
        continue
    if n not in doms:
        bad.append('%s: not in the JSON' % n)
        continue
    d, r = doms[n], rows[n]
    want = {'STATE': d['state'] or '-', 'MAX': human(d['maximum_bytes']), 'CUR': human(d['current_bytes']),
            'BALLOON': human(d['ballooned_out_bytes'])}
    for col, w in want.items():
        if r.get(col) != w:
            bad.append('%s %s: table %r, JSON says %r' % (n, col, r.get(col), w))
print('\n'.join(bad) if bad else 'same')
