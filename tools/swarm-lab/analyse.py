#!/usr/bin/env python3
"""Compute headline figures from the recorded runs (python3 stdlib only).

usage: analyse.py                 -> writes summary.md and analysis/NAME.rN.json for every run found
       analyse.py NAME [RUN]      -> prints the figures for one scenario / run

Definitions (all times in seconds since the action was issued, t=0):
  * terminal: first UpdateStatus in {completed, paused, rollback_completed, rollback_paused} after t=0
    (time = the service event carrying updatestate.new, else the API poll).
  * new-spec task: a task created after t=0 whose Spec differs from the spec of the tasks running at t=0.
    "replace" = first new-spec task of a slot; "restart" = a later task of the same slot and same spec;
    "rollback" = a task created after t=0 whose Spec equals the initial spec.
  * batch: tasks whose CreatedAt lie within 0.5 s of each other.
  * healthy container: from its 'health_status: healthy' event until the first of kill / die /
    'health_status: unhealthy'. Containers of tasks running at t=0 count as healthy from t=0
    (setup waited for every task to be running, which in swarm implies healthy).
  * update window: [0, terminal] (or [0, end of recording] when there is no terminal state).
"""
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import record as R  # noqa: E402
import scenarios as SC  # noqa: E402

TERMINAL = R.TERMINAL
BATCH_GAP = 0.5


def fp(task):
    spec = dict(task["Spec"])
    spec.pop("ForceUpdate", None)
    return json.dumps(spec, sort_keys=True)


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return dict(n=len(xs), min=round(min(xs), 3), mean=round(sum(xs) / len(xs), 3), max=round(max(xs), 3))


def analyse_run(name, runno):
    tag = f"{name}.r{runno}"
    meta, tv, sl, ev = R.load_raw(tag)
    R.SVC = meta.get("service", SC.SERVICE)   # the service name the run recorded (meta.json)
    t0 = meta["t0"]
    s = SC.SCENARIOS[name]
    N = s["replicas"]
    out = dict(scenario=name, run=runno, replicas=N, end_reason=meta.get("end_reason"),
               action_cli_returned_s=round(meta.get("action_returned_s", 0), 3))

    # ---------------- service / update status
    srows = R.service_rows(meta, sl, ev)
    post = [r for r in srows if r["t_s"] > -0.5]
    first = lambda st: next((r["t_s"] for r in post if r["update_state"] == st), None)  # noqa: E731
    term = next((r for r in post if r["update_state"] in TERMINAL and r["t_s"] > 0), None)
    out["update_states"] = [(round(r["t_s"], 3), r["update_state"], r["message"]) for r in post]
    out["t_updating"] = first("updating")
    out["t_rollback_started"] = first("rollback_started")
    out["terminal_state"] = term["update_state"] if term else None
    out["t_terminal"] = term["t_s"] if term else None
    t_win_end = out["t_terminal"] if term else meta["t_end_s"]
    out["window_end_s"] = t_win_end

    # ---------------- tasks
    tasks = {}
    for rv in tv:
        t = rv["task"]
        d = tasks.setdefault(t["ID"], dict(versions=[]))
        d["versions"].append((rv["t_poll"], t))
    initial_fps = set()
    per_task = {}
    for tid, d in tasks.items():
        vs = sorted(d["versions"], key=lambda x: x[1]["Version"]["Index"])
        t_last = vs[-1][1]
        created = R.ts(t_last["CreatedAt"]) - t0
        cids = {(v[1]["Status"].get("ContainerStatus") or {}).get("ContainerID") for v in vs} - {None, ""}
        states = []
        for tp, v in vs:
            st = v["Status"]["State"]
            if not states or states[-1][1] != st:
                states.append(((R.ts(v["Status"].get("Timestamp")) or tp) - t0, st))
        t_running = next((x[0] for x in states if x[1] == "running"), None)
        DONE = ("running", "complete", "failed", "rejected", "shutdown", "orphaned", "remove")
        t_done = next((x[0] for x in states if x[1] in DONE), None)
        per_task[tid] = dict(id=tid, slot=t_last.get("Slot"), image=t_last["Spec"]["ContainerSpec"]["Image"].split("@")[0],
                             fp=fp(t_last), created=created, containers=sorted(cids), states=states,
                             t_running=t_running, t_done=t_done, final_state=t_last["Status"]["State"],
                             final_desired=t_last.get("DesiredState"), err=t_last["Status"].get("Err", ""))
        if created < 0 and any(x[1] == "running" and x[0] < 0 for x in states):
            initial_fps.add(per_task[tid]["fp"])
    new_tasks = sorted([x for x in per_task.values() if x["created"] >= -0.2], key=lambda x: x["created"])
    by_slot_seen = {}
    for x in new_tasks:
        if x["fp"] in initial_fps and s["action_kind"] == "container":
            x["kind"] = "restart"        # s24/s25: no spec change; same-spec replacements are restarts
        elif x["fp"] in initial_fps:
            x["kind"] = "rollback" if s["action_kind"] != "create" else "create"
        elif s["action_kind"] == "create":
            x["kind"] = "create" if x["slot"] not in by_slot_seen else "restart"
        elif (x["slot"], x["fp"]) in by_slot_seen:
            x["kind"] = "restart"
        else:
            x["kind"] = "replace"
        if s["action_kind"] == "rollback" and x["kind"] == "replace":
            x["kind"] = "rollback"      # manual rollback: the action's own replacements
        by_slot_seen[(x["slot"], x["fp"])] = True
        by_slot_seen[x["slot"]] = True
    primary = "rollback" if s["action_kind"] == "rollback" else "replace"

    def batches(kind):
        bs = []
        for x in [y for y in new_tasks if y["kind"] == kind]:
            if bs and x["created"] - bs[-1]["last"] <= BATCH_GAP:
                bs[-1]["tasks"].append(x)
                bs[-1]["last"] = x["created"]
            else:
                bs.append(dict(start=x["created"], last=x["created"], tasks=[x]))
        return [dict(t_created=round(b["start"], 3), n=len(b["tasks"]), slots=[y["slot"] for y in b["tasks"]],
                     t_running=[None if y["t_running"] is None else round(y["t_running"], 3) for y in b["tasks"]])
                for b in bs]

    out["replace_batches"] = batches("replace")
    out["rollback_batches"] = batches("rollback")
    ends = {}
    for x in new_tasks:
        ends[f"{x['kind']}:{x['final_state']}"] = ends.get(f"{x['kind']}:{x['final_state']}", 0) + 1
    out["end_states_of_tasks_created_after_t0"] = dict(sorted(ends.items()))
    out["restart_tasks"] = [dict(t_created=round(x["created"], 3), slot=x["slot"], final_state=x["final_state"],
                                 err=x["err"]) for x in new_tasks if x["kind"] == "restart"]
    cut = out["t_rollback_started"] if (out["t_rollback_started"] is not None and primary == "replace") else t_win_end
    out["slots_replaced_before_terminal_or_rollback"] = len(
        {x["slot"] for x in new_tasks if x["kind"] == primary and x["created"] <= cut + 0.05})
    out["new_spec_tasks_created_total"] = len([x for x in new_tasks if x["kind"] in ("replace", "restart")])
    out["tasks_failed_or_rejected"] = [dict(slot=x["slot"], image=x["image"], state=x["final_state"], err=x["err"],
                                            t_created=round(x["created"], 3))
                                       for x in new_tasks if x["final_state"] in ("failed", "rejected")]
    errs = {}
    for x in new_tasks:
        if x["err"]:
            errs[x["err"]] = errs.get(x["err"], 0) + 1
    out["task_errors"] = errs
    # last replaced task reaching running -> terminal
    runs = [x["t_running"] for x in new_tasks if x["kind"] == primary and x["t_running"] is not None]
    if runs and term:
        out["last_new_task_running_s"] = round(max(runs), 3)
        out["last_running_to_terminal_s"] = round(out["t_terminal"] - max(runs), 3)
    # gaps: running of a batch -> creation of the next batch
    rb = out[primary + "_batches"]
    gaps = []
    for a, b in zip(rb, rb[1:]):
        rr = [x for x in a["t_running"] if x is not None]
        if rr:
            gaps.append(round(b["t_created"] - max(rr), 3))
    out["batch_running_to_next_batch_s"] = gaps
    # worker-pipeline view: the k-th replacement (in creation order) is dispatched when the
    # (k-P)-th earliest earlier replacement reached running (or failed), + delay
    cfg = s["rollback"] if primary == "rollback" else s["update"]
    P = cfg["parallelism"] or N
    prim = [x for x in new_tasks if x["kind"] == primary]
    disp = []
    for k in range(P, len(prim)):
        done = sorted(y["t_done"] for y in prim[:k] if y["t_done"] is not None)
        if len(done) > k - P:
            disp.append(prim[k]["created"] - done[k - P])
    out["dispatch_gap_after_worker_free_s"] = stats(disp)

    # ---------------- containers
    crow = R.container_rows(meta, ev)
    cont = {}
    for r in crow:
        c = cont.setdefault(r["container_id"], dict(task=r["task_id"], slot=r["slot"], image=r["image"], ev=[]))
        c["ev"].append((r["t_s"], r["event"], r["exit_code"], r["signal"]))
    # initial healthy containers
    init_healthy = set()
    for x in per_task.values():
        if x["created"] < 0 and any(st == "running" and t < 0 for t, st in x["states"]):
            for cid in x["containers"]:
                init_healthy.add(cid[:12])
    intervals = []
    live = []  # start..die
    unhealthy_dt, unh_to_die, kill_to_die_15, start_to_healthy, start_to_die_crash = [], [], [], [], []
    for cid in set(cont) | init_healthy:
        c = cont.get(cid, dict(ev=[], image=None, slot=None, task=None))
        evs = sorted(c["ev"])
        t_h = 0.0 if cid in init_healthy else None
        t_start = 0.0 if cid in init_healthy else None
        first_unh = None
        t_kill = None
        for t, e, code, sig in evs:
            if e == "start":
                t_start = t
            elif e == "health_status: healthy":
                if t_h is None:
                    t_h = t
                    if t_start is not None:
                        start_to_healthy.append(t - t_start)
            elif e in ("kill", "die", "health_status: unhealthy"):
                if e == "health_status: unhealthy" and first_unh is None:
                    first_unh = t
                    if t_start is not None and cid not in init_healthy:
                        unhealthy_dt.append(t - t_start)
                if e == "kill" and sig == "15" and t_kill is None:
                    t_kill = t
                if e == "die":
                    if first_unh is not None:
                        unh_to_die.append(t - first_unh)
                    if t_kill is not None:
                        kill_to_die_15.append(t - t_kill)
                    if code not in ("", "0") and first_unh is None and t_kill is None and t_start is not None:
                        start_to_die_crash.append(t - t_start)
                    if t_start is not None:
                        live.append((t_start, t))
                        t_start = None
                if t_h is not None:
                    intervals.append((t_h, t))
                    t_h = None
        if t_h is not None:
            intervals.append((t_h, float("inf")))
        if t_start is not None:
            live.append((t_start, float("inf")))

    def step_stats(iv, lo, hi):
        # min / max of the count, and time-average of min(count, N)
        pts = sorted({lo, hi} | {a for a, b in iv if lo < a < hi} | {b for a, b in iv if lo < b < hi})
        mn, mx, area = None, None, 0.0
        for a, b in zip(pts, pts[1:]):
            mid = (a + b) / 2
            n = sum(1 for x, y in iv if x <= mid < y)
            mn = n if mn is None else min(mn, n)
            mx = n if mx is None else max(mx, n)
            area += min(n, N) * (b - a)
        return mn, mx, (area / (hi - lo) if hi > lo else None)

    lo, hi = 0.0, max(t_win_end, 0.01)
    mn, mx, avg = step_stats(intervals, lo, hi)
    # seconds (inside the window) with fewer than N / with zero healthy tasks
    pts = sorted({lo, hi} | {a for a, b in intervals if lo < a < hi} | {b for a, b in intervals if lo < b < hi})
    below, zero = 0.0, 0.0
    for a, b in zip(pts, pts[1:]):
        n = sum(1 for x, y in intervals if x <= (a + b) / 2 < y)
        below += (b - a) if n < N else 0.0
        zero += (b - a) if n == 0 else 0.0
    out["seconds_below_N_healthy"] = round(below, 2)
    out["seconds_zero_healthy"] = round(zero, 2)
    out["healthy_min"] = mn
    out["healthy_max"] = mx
    out["healthy_time_weighted_fraction"] = None if avg is None else round(avg / N, 3)
    # whole recording, and when N healthy tasks are back after the terminal state
    t_rec_end = meta["t_end_s"]
    out["healthy_fraction_whole_recording"] = None if step_stats(intervals, 0.0, t_rec_end)[2] is None else \
        round(step_stats(intervals, 0.0, t_rec_end)[2] / N, 3)
    out["healthy_at_recording_end"] = sum(1 for a, b in intervals if a <= t_rec_end - 0.01 < b)
    t_ref = out["t_terminal"] if out["t_terminal"] is not None else 0.0
    pts = sorted({t_ref} | {a for a, b in intervals if a > t_ref} | {b for a, b in intervals if t_ref < b < t_rec_end})
    back = None
    for p_ in pts:
        if sum(1 for a, b in intervals if a <= p_ + 1e-6 < b) >= N:
            back = p_
            break
    out["t_N_healthy_after_terminal"] = back
    out["containers_running_max"] = step_stats(live, lo, hi)[1]
    out["start_to_healthy_s"] = stats(start_to_healthy)
    out["start_to_first_unhealthy_s"] = stats(unhealthy_dt)
    out["unhealthy_to_die_s"] = stats(unh_to_die)
    out["sigterm_kill_to_die_s"] = stats(kill_to_die_15)
    out["crash_start_to_die_s"] = stats(start_to_die_crash)
    # per-slot restart gaps: die of one container -> start of the next container in the same slot (t>0)
    slot_ev = {}
    for r in crow:
        if r["event"] in ("start", "die"):
            slot_ev.setdefault(r["slot"], []).append((r["t_s"], r["event"], r["container_id"]))
    gaps = []
    for sl_, evs in slot_ev.items():
        evs.sort()
        last_die = None
        for t, e, c in evs:
            if e == "die":
                last_die = t
            elif e == "start" and last_die is not None:
                gaps.append(t - last_die)
                last_die = None
    out["slot_die_to_next_start_s"] = stats(gaps)
    # replaced/rolled-back task created -> SIGTERM to the container of the slot's previous task
    kills = {}
    for r in crow:
        if r["event"] == "kill":
            kills.setdefault(r["container_id"], r["t_s"])
    lag = []
    for x in new_tasks:
        if x["kind"] not in ("replace", "rollback"):
            continue
        prev = [y for y in per_task.values() if y["slot"] == x["slot"] and y["created"] < x["created"] and y["containers"]]
        if not prev:
            continue
        p = max(prev, key=lambda y: y["created"])
        kt = [kills[c[:12]] for c in p["containers"] if c[:12] in kills and kills[c[:12]] >= x["created"] - 0.05]
        if kt:
            lag.append(min(kt) - x["created"])
    out["new_task_created_to_old_kill_s"] = stats(lag)
    # health-probe schedule of the first container that went unhealthy after t0
    probe = None
    for r in crow:
        if r["event"] == "health_status: unhealthy" and r["t_s"] > 0:
            cid = r["container_id"]
            st = next((x["t_s"] for x in crow if x["container_id"] == cid and x["event"] == "start"), None)
            if st is None:
                continue
            pr = []
            for e in ev:
                E = e["ev"]
                if E.get("Type") == "container" and E.get("id", "")[:12] == cid and E.get("Action", "").startswith("exec_die"):
                    pr.append((round(E["timeNano"] / 1e9 - meta["t0"] - st, 2), E["Actor"]["Attributes"].get("exitCode")))
            probe = dict(container=cid, unhealthy_after_start=round(r["t_s"] - st, 3), probe_ends_after_start=pr[:8])
            break
    out["first_unhealthy_probe_schedule"] = probe
    out["container_starts_after_t0"] = len([r for r in crow if r["event"] == "start" and r["t_s"] > 0])
    out["unhealthy_events"] = len([r for r in crow if r["event"] == "health_status: unhealthy"])
    # rejected-task retry cadence per slot (missing image: s19)
    rej = {}
    for x in new_tasks:
        if x["final_state"] == "rejected":
            rej.setdefault(x["slot"], []).append(x["created"])
    rg = []
    for v in rej.values():
        v.sort()
        rg += [b - a for a, b in zip(v, v[1:])]
    out["rejected_tasks"] = sum(len(v) for v in rej.values())
    out["rejected_slot_retry_interval_s"] = stats(rg)
    # s26/s27 (2026-12-06): rejected tasks created per minute after the first one (the failed-pull durations
    # come from the daemon log: notes/pulls.py)
    allrej = sorted(c for v in rej.values() for c in v)
    if len(allrej) > 2:
        out["rejected_tasks_per_minute"] = round(60.0 * (len(allrej) - 1) / (allrej[-1] - allrej[0]), 2)
    out["final_update_state"] = srows[-1]["update_state"] if srows else None
    # final picture
    running_final = [x for x in per_task.values() if x["final_desired"] == "running" and x["final_state"] == "running"]
    imgs = {}
    for x in running_final:
        imgs[x["image"]] = imgs.get(x["image"], 0) + 1
    out["final_running_tasks_by_image"] = imgs
    out["_tasks"] = [dict(slot=x["slot"], kind=x.get("kind", "initial"), image=x["image"], created=round(x["created"], 3),
                          running=None if x["t_running"] is None else round(x["t_running"], 3),
                          final=x["final_state"], err=x["err"]) for x in sorted(per_task.values(), key=lambda y: y["created"])]
    for k, v in list(out.items()):
        if isinstance(v, float):
            out[k] = round(v, 3)
    return out


# ------------------------------------------------------------------ report
def fmt(v):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.2f}"
    if isinstance(v, dict) and set(v) == {"n", "min", "mean", "max"}:
        return f"{v['mean']:.2f} (n={v['n']}, {v['min']:.2f}–{v['max']:.2f})"
    if isinstance(v, list) and len(v) > 6 and isinstance(v[0], dict) and "t_created" in v[0] and "n" not in v[0]:
        return f"{len(v)} tasks, first at {v[0]['t_created']:.2f}, last at {v[-1]['t_created']:.2f}"
    if isinstance(v, list) and v and isinstance(v[0], dict) and "t_created" in v[0]:
        return "; ".join(f"{b['t_created']:.2f}" + (f"×{b['n']}" if "n" in b else f" s{b.get('slot')}") for b in v)
    if isinstance(v, dict) and "probe_ends_after_start" in v:
        return ("unhealthy at " + f"{v['unhealthy_after_start']:.2f}; probes end at " +
                ", ".join(f"{t:.2f}({c})" for t, c in v["probe_ends_after_start"]))
    if isinstance(v, dict):
        return ", ".join(f"{k}: {x}" for k, x in v.items()) or "–"
    if isinstance(v, list):
        return ", ".join(f"{x:.2f}" if isinstance(x, float) else str(x) for x in v) or "–"
    return str(v)


ROWS = [
    ("terminal state", "terminal_state"),
    ("action -> terminal UpdateStatus (s)", "t_terminal"),
    ("action -> 'updating' (s)", "t_updating"),
    ("action -> rollback_started (s)", "t_rollback_started"),
    ("replace batches: created at (s) × tasks", "replace_batches"),
    ("batch running -> next batch created (s)", "batch_running_to_next_batch_s"),
    ("worker pipeline: task k created - (k-P)th earliest running/failed (s)", "dispatch_gap_after_worker_free_s"),
    ("last replaced task running (s)", "last_new_task_running_s"),
    ("last running -> terminal (s)", "last_running_to_terminal_s"),
    ("slots replaced before terminal/rollback", "slots_replaced_before_terminal_or_rollback"),
    ("rollback batches: created at (s) × tasks", "rollback_batches"),
    ("restart tasks (same slot, same spec)", "restart_tasks"),
    ("min healthy tasks in window", "healthy_min"),
    ("max healthy tasks in window", "healthy_max"),
    ("seconds in window with < N healthy", "seconds_below_N_healthy"),
    ("seconds in window with 0 healthy", "seconds_zero_healthy"),
    ("time-weighted healthy fraction (count capped at N)", "healthy_time_weighted_fraction"),
    ("max containers alive at once", "containers_running_max"),
    ("first time >= terminal with all N healthy (s)", "t_N_healthy_after_terminal"),
    ("healthy tasks at end of recording", "healthy_at_recording_end"),
    ("healthy fraction over whole recording", "healthy_fraction_whole_recording"),
    ("container start -> healthy (s)", "start_to_healthy_s"),
    ("container start -> first unhealthy (s)", "start_to_first_unhealthy_s"),
    ("unhealthy -> die (s)", "unhealthy_to_die_s"),
    ("first unhealthy container: probe ends after start (s, exit code)", "first_unhealthy_probe_schedule"),
    ("SIGTERM kill -> die (s)", "sigterm_kill_to_die_s"),
    ("crash: start -> die exit!=0 (s)", "crash_start_to_die_s"),
    ("slot: die -> next container start (s)", "slot_die_to_next_start_s"),
    ("new task created -> old container SIGTERM (s)", "new_task_created_to_old_kill_s"),
    ("rejected tasks", "rejected_tasks"),
    ("rejected: per-slot retry interval (s)", "rejected_slot_retry_interval_s"),
    ("rejected tasks per minute (first to last)", "rejected_tasks_per_minute"),
    ("UpdateStatus at end of recording", "final_update_state"),
    ("task errors (count)", "task_errors"),
    ("end states of tasks created after t0 (kind:state)", "end_states_of_tasks_created_after_t0"),
    ("final running tasks by image", "final_running_tasks_by_image"),
    ("window end used (s)", "window_end_s"),
    ("recording ended by", "end_reason"),
]


def runs_for(name):
    rs = []
    for p in sorted(glob.glob(os.path.join(R.RAW, f"{name}.r*.meta.json"))):
        m = re.search(r"\.r(\d+)\.meta\.json$", p)
        rs.append(int(m.group(1)))
    return rs


def main():
    if len(sys.argv) > 1:
        name = sys.argv[1]
        rs = [int(sys.argv[2])] if len(sys.argv) > 2 else runs_for(name)
        for r in rs:
            print(json.dumps(analyse_run(name, r), indent=1, default=str))
        return
    os.makedirs(os.path.join(HERE, "analysis"), exist_ok=True)
    L = ["# Measured headline figures", "",
         "Generated by `analyse.py` from `raw/` (definitions in its docstring). t = 0 is the moment the",
         "action command was issued. Each column is one independent run (service removed and re-created).",
         "Observations and interpretation: see the end of this file (`summary_notes.md` is appended).", ""]
    for name in SC.ORDER:
        rs = runs_for(name)
        if not rs:
            continue
        res = []
        for r in rs:
            a = analyse_run(name, r)
            res.append(a)
            with open(os.path.join(HERE, "analysis", f"{name}.r{r}.json"), "w") as f:
                json.dump(a, f, indent=1, default=str)
        L.append(f"## {name}")
        L.append("")
        L.append(f"Action: `{SC.shell(SC.action_argv(SC.SCENARIOS[name]))}`")
        L.append("")
        L.append("| metric | " + " | ".join(f"run {a['run']}" for a in res) + " |")
        L.append("|---|" + "---|" * len(res))
        for label, key in ROWS:
            vals = [a.get(key) for a in res]
            if all(v in (None, [], {}, 0) for v in vals) and key not in ("terminal_state", "healthy_min"):
                continue
            L.append(f"| {label} | " + " | ".join(fmt(v).replace("|", "/") for v in vals) + " |")
        L.append("")
        for a in res:
            L.append(f"UpdateStatus sequence run {a['run']}: " +
                     (" → ".join(f"{st} @{t:.2f}" for t, st, msg in a["update_states"]) or ("(none: the action is a create)" if SC.SCENARIOS[name]["action_kind"] == "create" else "(none)")))
            msgs = {msg for t, st, msg in a["update_states"] if msg and st not in ("updating", "completed")}
            for m in sorted(msgs):
                L.append(f"  - message: `{m}`")
        L.append("")
    notes = os.path.join(HERE, "summary_notes.md")
    if os.path.exists(notes):
        L.append(open(notes).read())
    with open(os.path.join(HERE, "summary.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    print("wrote summary.md")


if __name__ == "__main__":
    main()
