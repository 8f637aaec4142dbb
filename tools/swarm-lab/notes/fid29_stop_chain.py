import csv, sys, statistics as st
allv = {'kill-cr':[], 'die-kill':[], 'sh-die':[], 'cr-sh':[], 'sh>dr':[], 'cr>dr':[]}
for p in sys.argv[1:]:
    tasks = {}
    with open(p + '.tasks.csv') as f:
        for r in csv.DictReader(f):
            tasks.setdefault(r['task_id'], []).append(r)
    ev = {}
    with open(p + '.containers.csv') as f:
        for r in csv.DictReader(f):
            ev.setdefault(r['task_id'], {}).setdefault(r['event'], float(r['t_s']))
    # update tasks: first v2 task per slot
    seen = set(); line = []
    for tid, rs in sorted(tasks.items(), key=lambda kv: float(kv[1][0]['t_s'])):
        if rs[0]['image'] != 'websim:v2-alt' or rs[0]['slot'] in seen: continue
        seen.add(rs[0]['slot'])
        cr = float(rs[0]['t_s'])
        dr = [float(r['t_s']) for r in rs if r['desired_state'] == 'running'][0]
        old = [t for t, rr in tasks.items() if rr[0]['slot'] == rs[0]['slot'] and rr[0]['image'] == 'websim:v1-trap' and any(x['state'] == 'running' for x in rr)][-1]
        sh = [float(r['t_s']) for r in tasks[old] if r['state'] == 'shutdown'][0]
        e = ev[old]
        v = {'kill-cr': e['kill'] - cr, 'die-kill': e['die'] - e['kill'], 'sh-die': sh - e['die'], 'cr-sh': sh - cr, 'sh>dr': dr - sh, 'cr>dr': dr - cr}
        for k in v: allv[k].append(v[k])
        line.append(' '.join('%s %.3f' % kv for kv in v.items()))
    print(p.split('.')[-1]); print('   ' + '\n   '.join(line))
for k, v in allv.items():
    print(k, 'median %.3f mean %.3f min %.3f max %.3f n %d' % (st.median(v), st.mean(v), min(v), max(v), len(v)))
