import csv, glob, statistics as st, math, collections
vals = []; per = collections.defaultdict(list)
for f in sorted(glob.glob('tests/data/fidelity/traces/*.tasks.csv')):
    c = f.replace('.tasks.csv', '.containers.csv')
    try: crows = list(csv.DictReader(open(c)))
    except FileNotFoundError: continue
    die = {}
    for r in crows:
        if r['event'] == 'die': die.setdefault(r['task_id'], float(r['t_s']))
    for r in csv.DictReader(open(f)):
        if r['state'] == 'shutdown' and r.get('ts_source') == 'Status.Timestamp' and r['task_id'] in die:
            d = float(r['t_s']) - die[r['task_id']]
            if 0 < d < 2:
                vals.append(d); per[f.split('/')[-1].split('.')[0]].append(d)
vals.sort()
q = lambda p: vals[int(p * (len(vals) - 1))]
print('n', len(vals), 'median %.3f' % st.median(vals), 'p10 %.3f p25 %.3f p75 %.3f p90 %.3f' % (q(.1), q(.25), q(.75), q(.9)))
lv = [math.log(v) for v in vals]
print('log sd %.3f' % st.stdev(lv), 'IQR-based sigma %.3f' % ((math.log(q(.75)) - math.log(q(.25))) / 1.349))
print('recordings', len(per))
