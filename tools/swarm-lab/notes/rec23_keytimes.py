#!/usr/bin/env python3
"""Key times of the 2026-12-07l runs (s42, s42b, s42c, s43: a task whose image pull is in flight), all in seconds
from t = 0 (the action command issued), from four sources on the same host clock:
  * raw/NAME.rN.tasks.jsonl: every polled version of every task (Status.Timestamp = the agent's own time of a
    state; a version whose state is unchanged but whose Status.Timestamp moved is a re-report, e.g. the PREPARING
    status that exec.Do returns with ErrTaskRetry when its Prepare is cancelled);
  * raw/NAME.rN.events.jsonl: container create/start/kill/die;
  * raw/NAME.rN.registry.jsonl (slow_registry.py): every request (the CLI's digest resolution at t = 0 and the
    daemon's pull), a layer body's end or abort;
  * raw/NAME.rN.dockerd.log (dockerd --debug, sliced): swarmkit's agent lines — "(*worker).Update" then one
    "assigned" line per task with its desired state (when a new desired state reaches the agent), "state changed"
    (the task manager's transitions) — and the pull's own lines ("Trying to pull", "Download complete",
    "Pull complete", "pulling image failed").

usage: rec23_keytimes.py [--table] RAWDIR NAME.rN...    (stdlib only; --table: one markdown row per run)
"""
import calendar
import json
import os
import re
import sys
import time

TS = re.compile(r'time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')


def ts(s):
    if not s or s.startswith("0001-"):
        return None
    s = s.rstrip("Z")
    frac = 0.0
    if "." in s:
        s, f = s.split(".", 1)
        frac = float("0." + f)
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%S")) + frac


def logt(line):
    m = TS.search(line)
    if not m:
        return None
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2) or 0)


def f3(x):
    return "" if x is None else f"{x:.3f}"


def run(raw, tag):
    meta = json.load(open(os.path.join(raw, f"{tag}.meta.json")))
    t0 = meta["t0"]
    rel = lambda t: None if t is None else t - t0  # noqa: E731
    tv = [json.loads(l) for l in open(os.path.join(raw, f"{tag}.tasks.jsonl"))]
    tasks = {}
    for r in sorted(tv, key=lambda r: (r["t_poll"], r["task"]["Version"]["Index"])):
        t = r["task"]
        tasks.setdefault(t["ID"], []).append(t)
    old = [i for i, vs in tasks.items() if ts(vs[0]["CreatedAt"]) < t0]
    new = [i for i, vs in tasks.items() if ts(vs[0]["CreatedAt"]) >= t0]
    new.sort(key=lambda i: ts(tasks[i][0]["CreatedAt"]))
    img = {i: tasks[i][0]["Spec"]["ContainerSpec"]["Image"].split("@")[0] for i in tasks}
    out = {"tag": tag, "later": [(l["at_s"], round(l["issued_s"], 3), l["cmd"]) for l in meta.get("later", [])]}
    # per task: each (desired, state, Status.Timestamp) version, the first poll that showed it
    hist = {}
    for i, vs in tasks.items():
        seen = []
        for v in vs:
            key = (v["DesiredState"], v["Status"]["State"], v["Status"].get("Timestamp"), v["Status"].get("Message"),
                   v["Status"].get("Err", ""))
            if not seen or seen[-1][0] != key:
                seen.append((key, v))
        hist[i] = [dict(desired=k[0], state=k[1], ts=rel(ts(k[2])), msg=k[3], err=k[4],
                        updated=rel(ts(v["UpdatedAt"]))) for k, v in seen]
    out["tasks"] = {i: dict(image=img[i], created=rel(ts(tasks[i][0]["CreatedAt"])), hist=hist[i]) for i in tasks}
    out["old"], out["new"] = old, new
    # containers
    ev = [json.loads(l) for l in open(os.path.join(raw, f"{tag}.events.jsonl"))]
    cont = []
    for r in ev:
        e = r["ev"]
        if e.get("Type") != "container" or e.get("Action") not in ("create", "start", "kill", "die", "destroy"):
            continue
        a = e["Actor"]["Attributes"]
        cont.append((e["timeNano"] / 1e9 - t0, a.get("com.docker.swarm.task.id", ""), e["Action"],
                     a.get("signal", a.get("exitCode", ""))))
    out["containers"] = sorted(cont)
    # registry
    reg = []
    p = os.path.join(raw, f"{tag}.registry.jsonl")
    if os.path.exists(p):
        for l in open(p):
            r = json.loads(l)
            if r["kind"] in ("load", "start"):
                continue
            reg.append(dict(t=r["t"] - t0, port=r.get("port"), method=r["method"], kind=r["kind"], status=r["status"],
                            bytes=r.get("bytes"), event=r.get("event", ""), path=r["path"]))
    out["registry"] = reg
    # dockerd debug lines
    dl = []
    p = os.path.join(raw, f"{tag}.dockerd.log")
    if os.path.exists(p):
        pend_update = None
        for line in open(p, errors="replace"):
            t = logt(line)
            if t is None or t < t0 - 1:
                continue
            m = re.search(r'msg="?(.*?)"? (?:module|method|error|digest|image|current|id)=', line)
            msg = m.group(1) if m else line[40:140]
            tid = re.search(r"task\.id=(\w+)", line)
            tid = tid.group(1) if tid else ""
            if "(*worker).Update" in line:
                pend_update = t
                continue
            if 'msg=assigned' in line:
                d = re.search(r"task\.desiredstate=(\w+)", line).group(1)
                dl.append((t - t0, "agent: assigned", tid, f"desired {d} (worker.Update {t - pend_update:+.4f})"))
            elif '"state changed"' in line and "module=node/agent/taskmanager" in line:
                tr = re.search(r'state\.transition="([^"]+)"', line).group(1)
                d = re.search(r"state\.desired=(\w+)", line).group(1)
                dl.append((t - t0, "taskmanager: " + tr, tid, f"desired {d}"))
            elif "updated to" in line and "(*Dispatcher).processUpdates" in line:
                tr = re.search(r'state\.transition="([^"]+)"', line).group(1)
                dl.append((t - t0, "dispatcher: " + tr, tid, ""))
            elif "Trying to pull 127.0.0.1" in line and "https" in line:
                dl.append((t - t0, "pull: begins (https try)", "", ""))
            elif 'status="Download complete"' in line:
                dl.append((t - t0, "pull: Download complete", "", ""))
            elif 'status="Pull complete"' in line:
                dl.append((t - t0, "pull: Pull complete", "", ""))
            elif "Not continuing with pull after error" in line:
                e = re.search(r'msg="Not continuing with pull after error: ([^"]*)"', line)
                dl.append((t - t0, "pull: stopped", "", e.group(1) if e else ""))
            elif "pulling image failed" in line or "task operation failed" in line or "context canceled" in line:
                e = re.search(r'error="([^"]*)"', line)
                dl.append((t - t0, "agent: " + msg[:60], tid, (e.group(1) if e else "")[:90]))
    out["dockerd"] = dl
    return out


def short(i, new, old):
    if i in new:
        return f"new{new.index(i) + 1}"
    if i in old:
        return "old"
    return i[:6]


def first(xs):
    return xs[0] if xs else None


def table_row(o):
    """the key times of the (first) registry-image task: new1."""
    n1 = o["new"][0]
    dk = o["dockerd"]
    ag = lambda tid, d: first([t for t, w, i, x in dk if i == tid and w == "agent: assigned" and x.startswith(f"desired {d}")])  # noqa: E731
    tm = lambda tid, tr: first([t for t, w, i, x in dk if i == tid and w == "taskmanager: " + tr])  # noqa: E731
    disp = lambda tid, tr: [t for t, w, i, x in dk if i == tid and w == "dispatcher: " + tr]  # noqa: E731
    pull = lambda what: first([t for t, w, i, x in dk if w == "pull: " + what])  # noqa: E731
    hist = o["tasks"][n1]["hist"]
    st = lambda state: first([h["ts"] for h in hist if h["state"] == state])  # noqa: E731
    old = o["old"][0]
    old_sd = first([h["ts"] for h in o["tasks"][old]["hist"] if h["state"] == "shutdown"])
    reg = o["registry"]
    # the pull's requests: from the first malformed (TLS) request after the CLI's resolve (the HEAD by tag)
    heads = [i for i, r in enumerate(reg) if r["method"] == "HEAD"]
    pr = reg[heads[-1] + 1:] if heads else reg
    pr = pr[[i for i, r in enumerate(pr) if r["kind"] == "malformed"][0]:] if any(r["kind"] == "malformed" for r in pr) else pr
    reg_first = first([r["t"] for r in pr])
    reg_end = first([(r["t"], r["event"]) for r in pr if r["event"]])
    c = [(t, a) for t, i, a, x in o["containers"] if i == n1]
    cre = first([t for t, a in c if a == "create"])
    sta = first([t for t, a in c if a == "start"])
    return dict(tag=o["tag"], assigned=ag(n1, "READY"), preparing=tm(n1, "ACCEPTED->PREPARING"), reg_first=reg_first,
                reg_end=reg_end, dl=pull("Download complete"), pc=pull("Pull complete"), stopped=pull("stopped"),
                old_shutdown=old_sd, run_agent=ag(n1, "RUNNING"), sd_agent=ag(n1, "SHUTDOWN"),
                rereport=disp(n1, "PREPARING->PREPARING"), ready=tm(n1, "PREPARING->READY"),
                ready_ts=st("ready"), shutdown=tm(n1, "PREPARING->SHUTDOWN"), shutdown_ts=st("shutdown"),
                create=cre, start=sta, running=st("running"))


def print_table(rows):
    print("| run | new task desired READY → agent | PREPARING | registry: pull's first request | registry: layer body "
          "end | dockerd: Pull complete | pull (PREPARING → Pull complete) | old task SHUTDOWN | desired RUNNING → agent | "
          "PREPARING re-reported (dispatcher) | desired SHUTDOWN → agent | READY (agent) | READY − (desired RUNNING → "
          "agent) | READY − Pull complete | container create / start | RUNNING | SHUTDOWN (agent) − desired SHUTDOWN → agent |")
    print("|" + "---|" * 17)
    for r in rows:
        pullt = None if r["pc"] is None or r["preparing"] is None else r["pc"] - r["preparing"]
        re_ = ", ".join(f3(x) for x in r["rereport"])
        end = "" if r["reg_end"] is None else f"{f3(r['reg_end'][0])} ({r['reg_end'][1].replace('body_', '')})"
        dl = r["pc"] if r["pc"] is not None else r["stopped"]
        dlcell = f3(dl) + ("" if r["pc"] is not None else " (stopped: context canceled)" if dl is not None else "")
        ready = r["ready"]
        sd = r["shutdown"]
        print(f"| {r['tag']} | {f3(r['assigned'])} | {f3(r['preparing'])} | {f3(r['reg_first'])} | {end} | {dlcell} | "
              f"{f3(pullt)} | {f3(r['old_shutdown'])} | {f3(r['run_agent'])} | {re_} | {f3(r['sd_agent'])} | "
              f"{f3(ready) if ready is not None else 'never'} | "
              f"{f3(ready - r['run_agent']) if ready is not None and r['run_agent'] is not None else ''} | "
              f"{f3(ready - r['pc']) if ready is not None and r['pc'] is not None else ''} | "
              f"{f3(r['create'])} / {f3(r['start'])} | {f3(r['running'])} | "
              f"{f3(sd - r['sd_agent']) + ' (SHUTDOWN ' + f3(sd) + ')' if sd is not None and r['sd_agent'] is not None else ''} |")


def main():
    args = sys.argv[1:]
    if args[0] == "--table":
        print_table([table_row(run(args[1], tag)) for tag in args[2:]])
        return
    raw = args[0]
    for tag in args[1:]:
        o = run(raw, tag)
        new, old = o["new"], o["old"]
        print(f"### {tag}\n")
        for at, issued, cmd in o["later"]:
            print(f"later t={at}: issued {issued} `{cmd}`")
        for i, t in sorted(o["tasks"].items(), key=lambda kv: kv[1]["created"]):
            print(f"- {short(i, new, old)} {i[:10]} {t['image']} created {f3(t['created'])}: " +
                  "; ".join(f"{h['desired']}/{h['state']} ts {f3(h['ts'])} (upd {f3(h['updated'])})"
                            + (f" err={h['err']!r}" if h['err'] else "") for h in t["hist"]))
        print("- containers: " + "; ".join(f"{f3(t)} {short(i, new, old)} {a}{('(' + str(x) + ')') if x else ''}"
                                            for t, i, a, x in o["containers"]))
        print("- registry: " + "; ".join(f"{f3(r['t'])} {r['method']} {r['kind']}"
                                          + (f" {r['event']} {r['bytes']}B" if r['event'] else "")
                                          for r in o["registry"]))
        print("- dockerd: ")
        for t, what, tid, x in o["dockerd"]:
            print(f"    {f3(t)} {short(tid, new, old) if tid else ''} {what} {x}")
        print()


if __name__ == "__main__":
    main()
