#!/usr/bin/env python3
"""Generate scenarios.md and stacks/NAME.yml from scenarios.py (stdlib only)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenarios as SC  # noqa: E402

os.makedirs(os.path.join(HERE, "stacks"), exist_ok=True)
for name in SC.ORDER:
    with open(os.path.join(HERE, "stacks", f"{name}.yml"), "w") as f:
        f.write(SC.stack_yaml(name, SC.SCENARIOS[name]))
    if SC.SCENARIOS[name].get("stack"):     # s28: the action's stack file (only the image changed)
        with open(os.path.join(HERE, SC.stack_files(name)[1]), "w") as f:
            f.write(SC.stack_yaml(name, SC.SCENARIOS[name], image=SC.SCENARIOS[name]["stack"]["action_image"]))

L = []
A = L.append
A("# Scenarios recorded on a real single-node Docker Swarm")
A("")
A("Environment: Debian docker.io 20.10.24+dfsg1 (client /usr/bin/docker = daemon version), dockerd started with")
A("`--iptables=false --ip6tables=false --storage-driver=vfs`, swarm initialised with")
A("`docker swarm init --advertise-addr 127.0.0.1` (one node = manager and worker). 2 CPU cores.")
A("No registry and no internet: every image is local (`docker import`), so every `docker service create/update`")
A("prints the warning \"image websim:… could not be accessed on a registry to record its digest…\" and")
A("the task spec keeps the bare tag (no digest). No ports are published, no networks are added.")
A("")
A("## Recording protocol (record.py, one run)")
A("")
A("1. `docker service rm web` and wait until the service and all its containers are gone.")
A("2. Create the service with the initial spec below and wait until exactly `replicas` tasks have")
A("   DesiredState=running and State=running (in swarm a task with a health check only reaches `running` once")
A("   its container is healthy), and no old task is still alive. (If a scenario has a setup update: apply it and wait for")
A("   UpdateStatus=completed.) Then wait 3 s.")
A("3. Start recording: Engine API poll every 0.15 s (`GET /tasks?filters={\"service\":[\"web\"]}`, `GET /services/web`;")
A("   mean request time ≈ 6 ms) and `docker events --format '{{json .}}' --filter type=container --filter type=service`.")
A("   2 s baseline.")
A("4. t = 0: issue the action command (always with `--detach`; the CLI returns after ≈ 0.05 s).")
A("5. Stop when the UpdateStatus reaches completed / paused / rollback_completed / rollback_paused, plus a tail")
A("   (15 s unless stated), or at the hard timeout (180 s unless stated). s08 (action = create) records a fixed 70 s.")
A("6. Each scenario was run twice (`.r1`, `.r2`), each from a freshly created service.")
A("")
A("s22+ (2026-12-06) add: `record_s` = a fixed window for any action (s23, s24–s27); host commands run before the")
A("create or right before t = 0 (s22); a helper process for the whole run (s26's fake registry); actions on a")
A("container instead of the service (s24 `docker kill`, s25 `docker exec`); a stack deployed with `docker stack deploy`")
A("(s28, service `app_web`). Before each run the recorder also removes networks left by a stack.")
A("s29 (2026-12-06b) adds `min_end_s` (record at least until that t even after a terminal UpdateStatus) and copies")
A("websim:v2-alt's start log (/tmp/flags/alt-log: count -> container) to raw/NAME.rN.alt-log.txt.")
A("")
A("All services are named `web`. Health check command everywhere: `wget -qO- http://127.0.0.1:8080/ || exit 1`")
A("(CMD-SHELL). All update/rollback/restart parameters are passed explicitly, even where they equal the")
A("20.10 defaults (update: parallelism 1, delay 0s, failure_action pause, monitor 5s, max_failure_ratio 0,")
A("order stop-first; rollback: the same; restart: condition any, delay 5s, max_attempts 0 = unlimited, window 0s;")
A("stop_grace_period 10s). `docker service inspect` before/after each run is stored in `raw/NAME.rN.meta.json`.")
A("")
A("## Images")
A("")
A("Built by `images.sh` from /tmp/rootfs (static busybox, www/index.html) with")
A("`docker import --change 'CMD [\"/bin/sh\",\"/entry.sh\"]'`. httpd listens on 8080.")
A("")
for img, desc in SC.IMAGES.items():
    A(f"* `{img}`: {desc}")
A("")
A("Stop behaviour: the `*-trap` / `bad-health` / `crash` images have `/bin/sh` as PID 1 with a TERM trap, so")
A("`docker stop` (SIGTERM) ends them in ≈ 50 ms. `websim:v1`/`websim:v2` run with the command")
A("`httpd -f -p 8080 -h /www`, i.e. busybox httpd as PID 1, which ignores SIGTERM: each stop lasts the whole")
A("stop_grace_period and ends with SIGKILL (exit code 137).")
A("")
A("## Trace files")
A("")
A("* `traces/NAME.rN.tasks.csv`: `t_s,task_id,slot,image,desired_state,state,err` then extra columns")
A("  `t_poll_s,ts_source,message,exit_code,container_id`. One row per observed change of (desired_state, state, err)")
A("  of a task. `t_s` = the task's `Status.Timestamp` when state/err changed, the task's `UpdatedAt` when only")
A("  desired_state changed (ts_source says which). For tasks first seen after t = 0 in a state other than `new`,")
A("  a synthetic `new` row at the task's `CreatedAt` is added (ts_source=CreatedAt). Intermediate states that lasted")
A("  less than one poll period may be missing (the Engine API has no task history). Rows before t = 0 show the")
A("  initial state.")
A("* `traces/NAME.rN.containers.csv`: `t_s,task_id,slot,image,event` then `exit_code,signal,container_id`;")
A("  events create/start/kill/stop/die/destroy/oom/`health_status: healthy`/`health_status: unhealthy`, with t_s from")
A("  the event's timeNano. (Individual health probes are in raw/…events.jsonl as exec_start/exec_die with exitCode.)")
A("* `traces/NAME.rN.service.csv`: `t_s,update_state,message` then `t_poll_s,ts_source,started_at_s,completed_at_s`,")
A("  one row per UpdateStatus change. t_s is taken from the service `update` event carrying `updatestate.new` when")
A("  there is one (ts_source=service-event), else the poll time.")
A("* `raw/NAME.rN.meta.json` (commands, t0, CLI output, inspect before/after, `docker service ps` after),")
A("  `raw/NAME.rN.tasks.jsonl` (every distinct task version in full, with poll time),")
A("  `raw/NAME.rN.service.jsonl` (every UpdateStatus change), `raw/NAME.rN.events.jsonl` (docker events).")
A("")
A("## Scenarios")
A("")
for name in SC.ORDER:
    s = SC.SCENARIOS[name]
    A(f"### {name}")
    A("")
    if s["action_kind"] == "create":
        A("Initial spec: none (the service does not exist); **the action is the create itself**.")
    elif s.get("stack"):
        A(f"Initial spec: the stack file `{SC.stack_files(name)[0]}` (the BASE spec in compose 3.8), deployed with")
        A("")
        A("```")
        A(SC.shell(SC.create_argv(s)))
        A("```")
        A("")
        A(f"The recorded service is `{s['service_name']}`, on the overlay network `{s['stack']['name']}_default` that "
          "`docker stack deploy` creates.")
    else:
        A("Initial spec:")
        A("")
        A("```")
        A(SC.shell(SC.create_argv(s)))
        A("```")
    if s["secrets"]:
        A("")
        A("Before the create: `printf <random 32 hex chars> | docker secret create api-key-v1 -`; after convergence")
        A("(before the action): `printf <other random value> | docker secret create api-key-v2 -`. Values are never")
        A("written anywhere. After the recording the error texts in `notes/s10-secret-errors.rN.txt` are collected.")
    if s["setup_update_args"]:
        A("")
        A("Setup update (issued 2 s after convergence, waited for until UpdateStatus=completed, then 3 s pause):")
        A("")
        A("```")
        A(SC.shell(SC.setup_update_argv(s)))
        A("```")
    if s.get("setup_note"):
        A("")
        A(s["setup_note"])
    A("")
    A("Action (t = 0):")
    A("")
    A("```")
    A(SC.shell(SC.action_argv(s)))
    A("```")
    A("")
    if s["action_kind"] == "container":
        A("`CONTAINER_OF_SLOT_N` is the container ID of slot N's running task, looked up through the Engine API just "
          "before t = 0 (`action_target` in meta.json).")
    for t_at, largv in SC.later_argvs(s):   # s31+ (2026-12-06d)
        A(f"Then at t = {t_at} s:")
        A("")
        A("```")
        A(SC.shell(largv))
        A("```")
        A("")
        if any(a.startswith("CONTAINER_OF_SLOT_") for a in largv):
            A("`CONTAINER_OF_SLOT_N` is looked up at that instant (meta.json `later[].target`).")
            A("")
    if s.get("stack"):
        A(f"`{SC.stack_files(name)[1]}` is `{SC.stack_files(name)[0]}` with only the image changed to "
          f"`{s['stack']['action_image']}`.")
        A("")
    imgs = [s["image"]]
    if s.get("stack"):
        imgs.append(s["stack"]["action_image"])
    if s["action_args"] and "--image" in s["action_args"]:
        imgs.append(s["action_args"][s["action_args"].index("--image") + 1])
    if s["setup_update_args"] and "--image" in s["setup_update_args"]:
        imgs.append(s["setup_update_args"][s["setup_update_args"].index("--image") + 1])
    for _, largv in SC.later_argvs(s):
        if "--image" in largv:
            imgs.append(largv[largv.index("--image") + 1])
    A("Images: " + "; ".join(f"`{i}`" for i in imgs) +
      (f"; service command `{' '.join(s['command'])}` (httpd PID 1, ignores SIGTERM)" if s["command"]
       else "; image CMD `/bin/sh /entry.sh` (exits promptly on SIGTERM)"))
    A("")
    rec = ("fixed window of %ss" % s["record_s"]) if s["record_s"] else \
        f"until terminal UpdateStatus + {s['tail_s']} s tail, hard timeout {s['hard_timeout_s']} s"
    if s.get("min_end_s") and not s["record_s"]:   # s29 (2026-12-06b)
        rec += f", and at least until t = {s['min_end_s']} s"
    if s.get("poll_s"):   # s34+ (2026-12-07d)
        rec += f"; API poll every {s['poll_s']} s (tasks that vanish from it: `traces/NAME.rN.deleted.csv`)"
    A(f"Recording: {rec}. Stack file: `stacks/{name}.yml`.")
    A("")
    A(f"What a user would expect: {s['expect']}")
    A("")
with open(os.path.join(HERE, "scenarios.md"), "w") as f:
    f.write("\n".join(L) + "\n")
print("wrote scenarios.md and", len(SC.ORDER), "stack files")
