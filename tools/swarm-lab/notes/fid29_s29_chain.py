#!/usr/bin/env python3
"""s29 race decomposition: real tasks.csv (+containers.csv) or model events.csv."""
import csv, sys, statistics as st

def load(path, model, t0):
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            t = float(r['t_s']) - t0
            rows.append((t, r['task_id'], r['slot'], r['image'], r['desired_state'], r['state']))
    rows.sort(key=lambda x: x[0])
    return rows

def first(rows, tid, pred):
    for r in rows:
        if r[1] == tid and pred(r):
            return r[0]
    return None

def chain(rows, cont=None):
    v2 = []  # (created, tid, slot)
    seen = set()
    for r in rows:
        if r[3] == 'websim:v2-alt' and r[1] not in seen and r[0] > -1:
            seen.add(r[1]); v2.append((r[0], r[1], r[2]))
    # update tasks: first v2 task of each slot
    upd, slots = [], set()
    for c, tid, slot in v2:
        if slot not in slots:
            slots.add(slot); upd.append((c, tid, slot))
    rest = [x for x in v2 if x[1] not in {u[1] for u in upd}]
    out = {}
    for k, (c, tid, slot) in enumerate(upd[:4], 1):
        old = [r[1] for r in rows if r[2] == slot and r[3] == 'websim:v1-trap' and r[5] == 'running']
        oldt = old[-1] if old else None
        out[f'cr{k}'] = c
        out[f'sh{k}'] = first(rows, oldt, lambda r: r[5] == 'shutdown') if oldt else None
        out[f'dr{k}'] = first(rows, tid, lambda r: r[4] == 'running')
        out[f'st{k}'] = first(rows, tid, lambda r: r[5] == 'starting')
        out[f'ru{k}'] = first(rows, tid, lambda r: r[5] == 'running')
        out[f'fa{k}'] = first(rows, tid, lambda r: r[5] in ('failed',))
        if cont is not None:
            out[f'cs{k}'] = cont.get(tid)
    s1 = upd[0][2]
    r1 = [x for x in rest if x[2] == s1][0]
    out['rc'] = r1[0]
    out['rdr'] = first(rows, r1[1], lambda r: r[4] == 'running')
    out['rst'] = first(rows, r1[1], lambda r: r[5] == 'starting')
    if cont is not None:
        out['rcs'] = cont.get(r1[1])
    return out

def conts(path):
    d = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            if r['event'] == 'start' and r['task_id'] not in d:
                d[r['task_id']] = float(r['t_s'])
    return d

def comps(o):
    c = {}
    c['st1>ru1'] = o['ru1'] - o['st1']
    for k in (2, 3, 4):
        c[f'ru{k-1}>cr{k}'] = o[f'cr{k}'] - o[f'ru{k-1}']
        c[f'cr{k}>sh{k}'] = o[f'sh{k}'] - o[f'cr{k}']
        c[f'sh{k}>dr{k}'] = o[f'dr{k}'] - o[f'sh{k}']
        c[f'dr{k}>st{k}'] = o[f'st{k}'] - o[f'dr{k}']
        if k < 4:
            c[f'st{k}>ru{k}'] = o[f'ru{k}'] - o[f'st{k}']
    c['st1>fa1'] = o['fa1'] - o['st1']
    c['fa1>rc'] = o['rc'] - o['fa1']
    c['rc>rdr'] = o['rdr'] - o['rc']
    c['rdr>rst'] = o['rst'] - o['rdr']
    c['UPD st1>st4'] = o['st4'] - o['st1']
    c['RST st1>rst'] = o['rst'] - o['st1']
    c['gap st4-rst'] = o['st4'] - o['rst']
    c['gap dr4-rdr'] = o['dr4'] - o['rdr']
    if 'cs4' in o and o.get('cs4') and o.get('rcs'):
        c['gap cs4-rcs'] = o['cs4'] - o['rcs']
    return c

if __name__ == '__main__':
    mode = sys.argv[1]
    res = []
    for p in sys.argv[2:]:
        if mode == 'real':
            rows = load(p + '.tasks.csv', False, 0)
            o = chain(rows, conts(p + '.containers.csv'))
            name = p.split('.')[-1]
        else:
            rows = load(p + '/events.csv', True, 30.0)
            o = chain(rows)
            name = p.rsplit('/', 1)[-1]
        res.append((name, comps(o)))
    keys = list(res[0][1].keys())
    print('%-14s' % 'comp' + ''.join('%8s' % n[:7] for n, _ in res) + '   median')
    for k in keys:
        vals = [c.get(k) for _, c in res]
        print('%-14s' % k + ''.join('%8.3f' % v if v is not None else '      - ' for v in vals) + '  %7.3f' % st.median([v for v in vals if v is not None]))
