import csv, sys, glob, statistics as st, collections
per = collections.defaultdict(list)
for f in sorted(glob.glob('tests/data/fidelity/traces/*.tasks.csv')):
    name = f.split('/')[-1].replace('.tasks.csv', '')
    ts = []
    rows = list(csv.DictReader(open(f)))
    if 'ts_source' not in rows[0]: continue
    for r in rows:
        t = float(r['t_s'])
        if t < 0.5: continue
        if r['ts_source'] == 'CreatedAt':
            ts.append(t)
        elif r['ts_source'] == 'UpdatedAt' and r['desired_state'] == 'running' and r['state'] == 'ready':
            ts.append(t)
    ts.sort()
    for a, b in zip(ts, ts[1:]):
        d = b - a
        if d < 0.45 or d > 2.05: continue
        n = round(d / 0.101)
        p = 1000 * d / n
        if 99 <= p <= 104:
            per[name.split('.')[0]].append(p)
allp = []
for k, v in sorted(per.items()):
    allp += v
    print('%-40s n=%3d median %.2f' % (k, len(v), st.median(v)))
print('ALL n=%d median %.2f mean %.2f; quartiles %s' % (len(allp), st.median(allp), st.mean(allp), [round(x, 2) for x in st.quantiles(allp, n=4)]))
