#!/usr/bin/env python3
"""Scenario definitions shared by record.py, analyse.py and gen_docs.py (stdlib only).

Every scenario is a structured spec; the exact `docker service create` command line,
the action command line(s) and the compose v3.8 stack file are all *generated* from it,
so the three can never disagree.
"""
import copy
import shlex

DOCKER = "/usr/bin/docker"
SERVICE = "web"

HEALTH_CMD = "wget -qO- http://127.0.0.1:8080/ || exit 1"
HC_FAST = dict(cmd=HEALTH_CMD, interval="1s", timeout="1s", retries=3, start_period="1s")
HC_TUT = dict(cmd=HEALTH_CMD, interval="2s", timeout="2s", retries=3, start_period="2s")

# Docker 20.10 CLI defaults, written out explicitly for every scenario.
UPDATE_DEFAULT = dict(parallelism=1, delay="0s", failure_action="pause", monitor="5s",
                      max_failure_ratio=0, order="stop-first")
ROLLBACK_DEFAULT = dict(parallelism=1, delay="0s", failure_action="pause", monitor="5s",
                        max_failure_ratio=0, order="stop-first")
RESTART_DEFAULT = dict(condition="any", delay="5s", max_attempts=0, window="0s")

BASE = dict(
    image="websim:v1-trap", command=None, replicas=6, health=HC_FAST,
    update=UPDATE_DEFAULT, rollback=ROLLBACK_DEFAULT, restart=RESTART_DEFAULT,
    stop_grace_period="10s", secrets=[],
    action_kind="update",          # "update" | "create" | "rollback"
    action_args=None,              # extra args to `docker service update`
    setup_update_args=None,        # an update applied (and waited for) during setup
    hard_timeout_s=180, tail_s=15, record_s=None,
    expect="",
    # ---- added for s19+ (the default keeps every earlier scenario's command line unchanged)
    mode="replicated",             # "replicated" | "global" (the multinode m07 uses a global service)
    # ---- added for s22+ (2026-12-06; the defaults keep every earlier scenario's command line unchanged)
    mounts=[],                     # --mount values
    reserve_cpu=None,              # --reserve-cpu value (string)
    host_setup=None,               # argv lists run on the host before the create (every run)
    pre_action=None,               # argv lists run on the host right before t = 0 (after the 2 s baseline)
    background=None,               # argv of a helper process started before the create and stopped after the
                                   # run ("{tag}" = NAME.rN); e.g. the fake registry of s26
    service_name=None,             # recorded service if not `web` (s28: the stack's app_web)
    stack=None,                    # s28: dict(name=STACK, action_image=IMAGE): create = `docker stack deploy -c
                                   # stacks/NAME.yml STACK`, action = the same with stacks/NAME.v2.yml (image changed)
    setup_note=None,               # extra text for scenarios.md
    # ---- added for s29 (2026-12-06b; the default keeps every earlier scenario unchanged)
    min_end_s=None,                # terminal-ending scenarios: record at least until t = min_end_s
    # ---- added for s31+ (2026-12-06d; the defaults keep every earlier scenario unchanged)
    later=None,                    # further docker commands after t = 0: [dict(at_s=T, args=[...])], run at t = T as
                                   # `docker ARGS` (CONTAINER_OF_SLOT_N resolved at that instant, as for the action)
    # health=None (s33): the create sets no --health-* flag (the image's HEALTHCHECK, if any, applies)
    # ---- added for s34+ (2026-12-07d; the defaults keep every earlier scenario unchanged)
    after=None,                    # argv lists run on the host after the recording (every run), e.g. restoring
                                   # the swarm's task history limit; action_kind="docker": the action is `docker ARGS`
    poll_s=None,                   # the API poll period (None: record.py's 0.15 s)
    # ---- added for m16 (2026-12-07h; the default keeps every earlier scenario's command line unchanged)
    constraints=None,              # --constraint values (placement), e.g. ["node.hostname==mn-w1"]
    # ---- 2026-12-07k (s41): action_kind="host" (the action is the host argv action_args) and later entries with
    # host=True (a host argv at that offset); record.py re-attaches `docker events` when the daemon's stream breaks
)

IMAGES = {
    "websim:v1-trap": "CMD [\"/bin/sh\",\"/entry.sh\"]; entry.sh: `trap 'exit 0' TERM INT; httpd -p 8080 -h /www; while :; do sleep 1 & wait $!; done` (healthy; exits within ms of SIGTERM); index.html = v1-trap",
    "websim:v2-trap": "same entry.sh as v1-trap; index.html = v2-trap",
    "websim:v3-trap": "same entry.sh as v1-trap; index.html = v3-trap",
    "websim:bad-health": "CMD [\"/bin/sh\",\"/entry.sh\"]; entry.sh: `trap 'exit 0' TERM INT; while :; do sleep 1 & wait $!; done` (no httpd, so the wget probe fails at once with 'connection refused'; exits promptly on SIGTERM)",
    "websim:bad-health-143": "as bad-health but the TERM trap exits with status 143 (`trap 'exit 143' TERM INT`), i.e. a never-healthy app that exits non-zero when stopped",
    "websim:late-crash": "CMD [\"/bin/sh\",\"/entry.sh\"]; entry.sh: `trap 'exit 0' TERM INT; httpd -p 8080 -h /www; sleep 8 & wait $!; exit 1` (healthy after the first probe, then exits 1 about 8 s after start)",
    "websim:crash": "CMD [\"/bin/sh\",\"/entry.sh\"]; entry.sh: `trap 'exit 0' TERM INT; sleep 1; exit 1` (exits with status 1 about 1 s after start)",
    "websim:v1": "no CMD (pre-existing image); the service supplies the command `httpd -f -p 8080 -h /www`, so busybox httpd is PID 1 and IGNORES SIGTERM (stop waits the full stop_grace_period, then SIGKILL); index.html = v2 (same rootfs as websim:v2)",
    "websim:v2": "as websim:v1 (separately imported copy of the same rootfs)",
    "websim:does-not-exist": "not present locally; there is no registry and no internet, so every pull fails at once with a DNS error",
    "websim:v1-flag": "CMD [\"/bin/sh\",\"/entry.sh\"]; entry.sh: `trap 'exit 0' TERM INT; [ -f /flags/broken ] || httpd -p 8080 -h /www; while :; do sleep 1 & wait $!; done`: healthy only if /flags/broken did NOT exist when the container started (s22 bind-mounts the host's /tmp/flags on /flags); the rootfs also has /tmp, /flags and the touch/mkdir/rm applets; index.html = v1-flag",
    "websim:v1-hflip": "as v1-trap (same entry.sh), plus /tmp and the touch/mkdir/rm applets in the rootfs (s25: `docker exec C touch /tmp/unhealthy`); index.html = v1-hflip",
    "127.0.0.1:5000/websim:nope": "not present locally; 127.0.0.1:5000 is `fake_registry.py` (plain HTTP; 127.0.0.0/8 is an insecure registry by default): `GET /v2/` answers 200, every other request 404 with a registry-style `MANIFEST_UNKNOWN` JSON body",
    "websim:v2-alt": "CMD [\"/bin/sh\",\"/entry.sh\"]; entry.sh: `trap 'exit 0' TERM INT; until mkdir /flags/alt.lock 2>/dev/null; do sleep 0.05; done; n=$(cat /flags/alt-count 2>/dev/null); n=$(( ${n:-0} + 1 )); echo $n > /flags/alt-count; echo \"$n $HOSTNAME\" >> /flags/alt-log; rm -rf /flags/alt.lock; httpd -p 8080 -h /www; if [ $(( n % 2 )) -eq 1 ]; then sleep 3 & wait $!; exit 1; fi; while :; do sleep 1 & wait $!; done`: every container start atomically increments the counter in the bind-mounted host file /tmp/flags/alt-count (s29 mounts /tmp/flags on /flags); an ODD count serves like v2-trap for 3 s (healthy after its first probe) and then exits 1; an EVEN count is exactly v2-trap (serves forever, exit 0 on SIGTERM); the rootfs has /tmp, /flags and the touch/mkdir/rm applets; index.html = v2-alt",
    "127.0.0.1:5999/websim:nope": "not present locally; nothing listens on 127.0.0.1:5999 (connection refused)",
    "127.0.0.1:5001/websim:v2-trap": "s42-s43 (2026-12-07l): not present locally (every image of 127.0.0.1:5001/websim is removed before each create); served by `slow_registry.py` from a `docker save` of websim:v2-trap with one marker file added to its layer (`/.slow-registry`), so a new layer and image ID: same entry.sh and index.html (v2-trap) as websim:v2-trap; the layer body is spread over the spec's --blob-delay, so each pull takes a chosen time",
    "websim:hc": "websim:v1-trap plus a Dockerfile HEALTHCHECK, built offline (classic builder) by images.sh from `FROM websim:v1-trap` + `HEALTHCHECK --interval=30s CMD wget -qO- http://127.0.0.1:8080/ || exit 1` (image Config.Healthcheck: Test [CMD-SHELL, the wget probe], Interval 30 s, the other fields unset); index.html = v1-trap",
}


def S(**kw):
    s = copy.deepcopy(BASE)
    for k, v in kw.items():
        if isinstance(v, dict) and isinstance(s.get(k), dict):
            s[k] = {**s[k], **v}
        else:
            s[k] = v
    return s


SCENARIOS = {}

SCENARIOS["s01-rolling-basic"] = S(
    update=dict(parallelism=2, delay="5s", order="stop-first"),
    action_args=["--image", "websim:v2-trap"],
    expect="3 batches of 2 (stop old, start new, wait healthy, wait 5s delay); completes ~monitor (5s) after the last task is running; 4 of 6 serving during each batch.")

SCENARIOS["s02-start-first"] = S(
    update=dict(parallelism=2, delay="5s", order="start-first"),
    action_args=["--image", "websim:v2-trap"],
    expect="as s01 but each new task is started before the old one is stopped, so never fewer than 6 healthy tasks; up to 8 containers exist at once.")

SCENARIOS["s03-parallelism-zero"] = S(
    update=dict(parallelism=0, delay="0s", order="stop-first"),
    action_args=["--image", "websim:v2-trap"],
    expect="all 6 tasks stopped and replaced at once: a full outage for about stop + start + first healthy probe; completes after monitor.")

SCENARIOS["s04-bad-health-pause"] = S(
    health=HC_TUT,
    update=dict(parallelism=2, delay="3s", monitor="10s", failure_action="pause"),
    action_args=["--image", "websim:bad-health"],
    expect="first batch of 2 replaced by never-healthy tasks; they go unhealthy after ~start_period+interval*retries and fail; the update pauses with only the first batch replaced (4 old tasks still serving).")

SCENARIOS["s05-bad-health-rollback"] = S(
    health=HC_TUT,
    update=dict(parallelism=2, delay="3s", monitor="10s", failure_action="rollback"),
    rollback=dict(parallelism=2, delay="0s", monitor="5s", failure_action="pause", order="stop-first"),
    action_args=["--image", "websim:bad-health"],
    expect="first batch of 2 fails health; update state goes to rollback_started; the 2 bad slots are put back on v1-trap (rollback parallelism 2); state rollback_completed.")

SCENARIOS["s08-health-timing"] = S(
    image="websim:bad-health", replicas=3,
    health=dict(cmd=HEALTH_CMD, interval="2s", timeout="1s", retries=3, start_period="5s"),
    action_kind="create", record_s=70, tail_s=0,
    expect="tutorial: unhealthy after start_period + interval*retries = 5 + 2*3 = 11 s; swarm then kills the container, marks the task failed and (restart delay 5s) starts a replacement.")

SCENARIOS["s09a-slow-stop-grace10"] = S(
    image="websim:v1", command=["httpd", "-f", "-p", "8080", "-h", "/www"],
    update=dict(parallelism=2, delay="5s", order="stop-first"), stop_grace_period="10s",
    action_args=["--image", "websim:v2"],
    expect="httpd as PID 1 ignores SIGTERM, so each old task takes the full 10s grace period to stop (then SIGKILL); each batch is ~10s longer than in s01 and 2 slots are down for >10s each batch.")

SCENARIOS["s09b-slow-stop-grace2"] = S(
    image="websim:v1", command=["httpd", "-f", "-p", "8080", "-h", "/www"],
    update=dict(parallelism=2, delay="5s", order="stop-first"), stop_grace_period="2s",
    action_args=["--image", "websim:v2"],
    expect="as s09a but each stop takes ~2s (SIGTERM ignored, SIGKILL after 2s).")

SCENARIOS["s10-secret-rotate"] = S(
    replicas=4, update=dict(parallelism=2, delay="2s", order="stop-first"),
    secrets=[dict(source="api-key-v1", target="api-key")],
    action_args=["--secret-rm", "api-key-v1", "--secret-add", "source=api-key-v2,target=api-key"],
    expect="a secret change is a task-spec change: all 4 tasks are replaced by a normal rolling update (2 batches of 2, 2s delay), image unchanged.")

SCENARIOS["s15-monitor-zero-bad-health"] = S(
    health=HC_TUT,
    update=dict(parallelism=2, delay="3s", monitor="0s", failure_action="pause"),
    action_args=["--image", "websim:bad-health"],
    expect="naive reading: with monitor 0 no failure is ever observed so the update runs through; alternative: tasks that never became running still count as failures.")

SCENARIOS["s17-bad-health-exit143"] = S(
    health=HC_TUT,
    update=dict(parallelism=2, delay="3s", monitor="10s", failure_action="pause"),
    action_args=["--image", "websim:bad-health-143"],
    expect="as s04; checks whether the task of an unhealthy container that exits 143 on SIGTERM ends 'failed' (s04's exit-0 image ends 'complete') and whether the update reacts identically.")

SCENARIOS["s18b-late-crash-monitor5"] = S(
    update=dict(parallelism=2, delay="3s", monitor="5s", failure_action="pause"),
    action_args=["--image", "websim:late-crash"],
    expect="same image, monitor 5 s: the crash comes ~7 s after running, outside the monitor window, so it is not counted: the update completes although every new task crash-loops.")

# ---- s19+ (recorded 2026-12-02)
SCENARIOS["s19-missing-image-par1"] = S(
    update=dict(parallelism=1, delay="3s", monitor="5s", failure_action="pause"),
    restart=dict(condition="any", delay="2s", max_attempts=0, window="0s"),
    action_args=["--image", "websim:does-not-exist"],
    hard_timeout_s=120, tail_s=70,
    expect="an image that cannot be found, one slot at a time, monitor 5 s, restart delay 2 s: the first new task is "
           "rejected, the update pauses after that one slot; the rejected slot is then retried by the restart policy "
           "(every ~2 s?) for the 70 s tail.")

SCENARIOS["s20-crash-restart-delay0"] = S(
    health=HC_TUT,
    update=dict(parallelism=1, delay="0s", monitor="10s", failure_action="pause"),
    restart=dict(condition="any", delay="0s", max_attempts=0, window="0s"),
    action_args=["--image", "websim:crash"],
    hard_timeout_s=120, tail_s=40,
    expect="the first new task exits 1 after ~1 s; the update pauses; with restart delay 0 the slot crash-loops as fast as "
           "the agent can create/start containers (~1 s run + overhead per cycle) for the 40 s tail.")

# ---- s21 (recorded 2026-12-02; its spec was missing from this folder's copy and is restored here from
# tests/data/fidelity/scenarios.md so that gen_docs.py keeps it)
SCENARIOS["s21-manual-rollback-par2-delay3"] = S(
    update=dict(parallelism=2, delay="0s", monitor="5s", failure_action="pause"),
    rollback=dict(parallelism=2, delay="3s", monitor="5s", failure_action="pause"),
    setup_update_args=["--image", "websim:v2-trap"],
    action_kind="rollback", hard_timeout_s=120,
    expect="a manual rollback of a completed update (v1-trap -> v2-trap) back to v1-trap with rollback parallelism 2 and "
           "delay 3 s: three batches of two slots, each batch ~3 s after the previous one's tasks are running; "
           "rollback_completed about monitor 5 s after the last batch is running.")

# ---- s22+ (recorded 2026-12-06)
FLAG_SETUP = [["mkdir", "-p", "/tmp/flags"], ["rm", "-f", "/tmp/flags/broken"]]
SCENARIOS["s22-rollback-of-rollback"] = S(
    image="websim:v1-flag", mounts=["type=bind,src=/tmp/flags,dst=/flags"],
    update=dict(parallelism=1, delay="0s", monitor="5s", failure_action="rollback"),
    rollback=dict(parallelism=1, delay="0s", monitor="5s", failure_action="rollback"),
    host_setup=FLAG_SETUP, pre_action=[["touch", "/tmp/flags/broken"]],
    action_args=["--image", "websim:bad-health"],
    hard_timeout_s=180, tail_s=20,
    setup_note="Before the create: `mkdir -p /tmp/flags; rm -f /tmp/flags/broken` (on the host). "
               "Right before the action (after the 2 s baseline, 1.6–2.9 ms before t = 0): `touch /tmp/flags/broken`, "
               "so every v1-flag container started from then on runs without httpd and never becomes healthy, "
               "while the 6 running v1-flag tasks stay healthy.",
    expect="the first bad-health task fails health, the update rolls back (rollback_started); the rollback's own v1-flag "
           "task fails health too; with rollback failure action `rollback` swarmkit's updater has a 'never roll back a "
           "rollback' branch: expect rollback_paused ('rollback paused due to failure or early termination of task …') "
           "rather than another rollback or rollback_completed.")
SCENARIOS["s22b-rollback-fails-pause"] = S(
    image="websim:v1-flag", mounts=["type=bind,src=/tmp/flags,dst=/flags"],
    update=dict(parallelism=1, delay="0s", monitor="5s", failure_action="rollback"),
    rollback=dict(parallelism=1, delay="0s", monitor="5s", failure_action="pause"),
    host_setup=FLAG_SETUP, pre_action=[["touch", "/tmp/flags/broken"]],
    action_args=["--image", "websim:bad-health"],
    hard_timeout_s=180, tail_s=20,
    setup_note="As s22: `mkdir -p /tmp/flags; rm -f /tmp/flags/broken` before the create, `touch /tmp/flags/broken` "
               "right before the action.",
    expect="as s22 but rollback failure action `pause`: the rollback's failing task pauses the rollback (rollback_paused).")
SCENARIOS["s23-start-first-full-node"] = S(
    reserve_cpu="0.3", update=dict(parallelism=1, delay="0s", order="start-first"),
    action_args=["--image", "websim:v2-trap"], record_s=60,
    expect="the node has 2 CPUs; 6 tasks reserve 1.8; start-first needs a 7th task (2.1 > 2), so the surge task stays "
           "PENDING with 'no suitable node (insufficient resources on 1 node)' and the update stays `updating` "
           "(fixed 60 s window).")
SCENARIOS["s23b-stop-first-full-node"] = S(
    reserve_cpu="0.3", update=dict(parallelism=1, delay="0s", order="stop-first"),
    action_args=["--image", "websim:v2-trap"],
    expect="as s23 with stop-first: each old task frees its 0.3 CPU before its replacement is scheduled, so the update "
           "completes like a normal parallelism-1 update.")
SCENARIOS["s24-docker-kill-task"] = S(
    action_kind="container", action_args=["kill", "CONTAINER_OF_SLOT_3"], record_s=30,
    expect="no update: the container of slot 3 is SIGKILLed (exit 137) behind swarm's back; the task fails, the "
           "restart policy (any, 5 s) creates a replacement task for slot 3, started after the 5 s delay.")
SCENARIOS["s25-health-flip"] = S(
    image="websim:v1-hflip",
    health=dict(HC_FAST, cmd="test ! -f /tmp/unhealthy && wget -qO- http://127.0.0.1:8080/ || exit 1"),
    action_kind="container", action_args=["exec", "CONTAINER_OF_SLOT_2", "touch", "/tmp/unhealthy"], record_s=40,
    expect="no update: the health probe of slot 2's container starts failing; unhealthy after 3 failed probes (~3 s); "
           "swarm stops the container (SIGTERM), the task fails and a replacement starts after the 5 s restart delay.")
SCENARIOS["s26-pull-tag-not-found"] = S(
    update=dict(parallelism=1, delay="3s", monitor="5s", failure_action="pause"),
    restart=dict(condition="any", delay="2s", max_attempts=0, window="0s"),
    background=["python3", "fake_registry.py", "--port", "5000", "--log", "raw/{tag}.registry.jsonl"],
    action_args=["--image", "127.0.0.1:5000/websim:nope"], record_s=60,
    setup_note="During the whole run (started before the create, stopped after the recording) a fake registry "
               "listens on 127.0.0.1:5000: `python3 fake_registry.py --port 5000 --log raw/NAME.rN.registry.jsonl` "
               "(`GET /v2/` → 200 `{}`; every other request → 404 `{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",…}]}`; "
               "every request is logged with its time).",
    expect="as s19 (par 1, restart delay 2 s) but the image's registry answers: the manifest is unknown (404). "
           "Each pull fails quickly; the first new task is rejected, the update pauses, the slot is retried every "
           "~2 s + pull time (fixed 60 s window).")
SCENARIOS["s27-pull-registry-refused"] = S(
    update=dict(parallelism=1, delay="3s", monitor="5s", failure_action="pause"),
    restart=dict(condition="any", delay="2s", max_attempts=0, window="0s"),
    action_args=["--image", "127.0.0.1:5999/websim:nope"], record_s=60,
    expect="as s26 but nothing listens on the registry port: every pull fails with 'connection refused' (fixed 60 s window).")
SCENARIOS["s28-stack-deploy-update"] = S(
    action_kind="stack", stack=dict(name="app", action_image="websim:v2-trap"), service_name="app_web",
    expect="the BASE spec deployed as stack `app` (service app_web on the stack's default overlay network app_default); "
           "the action re-deploys the stack with only the image changed (v2-trap): a parallelism-1 rolling update like a "
           "bare `docker service update`, except that moby's executor waits its gossip-converge delay (~2 s) before "
           "stopping a task attached to a swarm network, so each step should be ~2 s longer than without a network.")
SCENARIOS["s28b-bare-update-base"] = S(
    action_args=["--image", "websim:v2-trap"],
    expect="contrast for s28: the same BASE spec created with `docker service create` (no network) and updated with a "
           "bare `docker service update`: a parallelism-1 stop-first rolling update without the gossip-converge delay.")

# ---- s30 (recorded 2026-12-06, issue 17): an identical `docker stack deploy` redeploy
SCENARIOS["s30-stack-redeploy-identical"] = S(
    action_kind="stack", stack=dict(name="app", action_image="websim:v1-trap"), service_name="app_web",
    record_s=20,
    expect="the BASE spec deployed as stack `app`; the action re-deploys the SAME file: docker/cli sends "
           "UpdateService with an identical spec (ForceUpdate kept), swarmkit finds no dirty task: no task is "
           "replaced and no UpdateStatus is set.")

# ---- s29 (recorded 2026-12-06, second session "06b")
SCENARIOS["s29-alternate-crash"] = S(
    replicas=4, mounts=["type=bind,src=/tmp/flags,dst=/flags"],
    host_setup=[["mkdir", "-p", "/tmp/flags"], ["rm", "-rf", "/tmp/flags/alt.lock", "/tmp/flags/alt-log"],
                ["sh", "-c", "echo 0 > /tmp/flags/alt-count"]],
    pre_action=[["sh", "-c", "echo 0 > /tmp/flags/alt-count"]],
    action_args=["--image", "websim:v2-alt", "--update-parallelism", "1", "--update-delay", "0s",
                 "--update-monitor", "5s", "--update-failure-action", "pause", "--update-max-failure-ratio", "0.5"],
    hard_timeout_s=180, tail_s=20, min_end_s=60,
    setup_note="BASE with 4 replicas and the bind mount from the create on (the v1-trap tasks ignore it). Before the "
               "create: `mkdir -p /tmp/flags; rm -rf /tmp/flags/alt.lock /tmp/flags/alt-log; echo 0 > /tmp/flags/alt-count`; "
               "right before the action (after the 2 s baseline): `echo 0 > /tmp/flags/alt-count`, so the first "
               "v2-alt container started by the update gets count 1 (crash), the next one 2 (healthy), and so on, "
               "whichever slot it belongs to (update task or restart task). /tmp/flags/alt-log maps count → container "
               "(hostname = short container ID; copied to raw/NAME.rN.alt-log.txt after the run). The action sets the "
               "update config in the same command (create: parallelism 1, delay 0s, monitor 5s, pause, ratio 0; the "
               "action changes only the ratio to 0.5). Recorded until a terminal UpdateStatus + 20 s, at least t = 60.",
    expect="4 slots, parallelism 1, max failure ratio 0.5: the 1st v2-alt task (count 1) is running+healthy and exits 1 "
           "3 s later, inside the 5 s monitor: one failure of 4 tasks (0.25 <= 0.5) so the update goes on; the failed "
           "slot is restarted after 5 s with a new v2-alt task. Which counts the next update tasks and the restart tasks "
           "get decides who crashes; the update pauses only if more than half (> 2 of 4?) fail within their monitor; "
           "otherwise completed, with the crashed slots healthy after their restart.")

# ---- s31–s33 (recorded 2026-12-06, fourth session "06d"): update flags the model gained on main
SCENARIOS["s31-update-restart-none"] = S(
    replicas=3,
    action_args=["--restart-condition", "none"],
    later=[dict(at_s=25, args=["kill", "CONTAINER_OF_SLOT_3"])], record_s=45,
    expect="the restart policy is part of the task spec: a parallelism-1 rolling update replaces all 3 tasks "
           "(completed ~5 s after the 3rd is running); at t = 25 s slot 3's (new) container is SIGKILLed (exit 137): the "
           "task fails and, with restart condition none, is NOT replaced (2 running tasks until the end, t = 45 s).")
SCENARIOS["s32-update-network-add"] = S(
    replicas=3,
    host_setup=[["sh", "-c", "/usr/bin/docker network inspect simnet >/dev/null 2>&1 || "
                             "/usr/bin/docker network create -d overlay simnet"]],
    action_args=["--network-add", "simnet"],
    later=[dict(at_s=30, args=["service", "update", "--detach", "--image", "websim:v2-trap", "web"])], record_s=70,
    setup_note="Before the create (every run): `docker network create -d overlay simnet` unless it exists (the service is "
               "created without networks). The 2nd update is issued at t = 30 s, after the 1st has completed.",
    expect="1st update (t = 0, --network-add simnet): a rolling update; the old tasks have no network, so they stop as in "
           "s28b. 2nd update (t = 30, --image v2-trap): the tasks now on the overlay wait moby's gossip delay (~2 s) "
           "before they are stopped, so each stop (update task created → old container SIGTERM) is ~2 s longer.")
SCENARIOS["s33-health-interval-merge"] = S(
    image="websim:hc", replicas=3, health=None,
    action_args=["--health-interval", "2s"],
    setup_note="websim:hc carries a Dockerfile HEALTHCHECK (interval 30 s); the create sets no --health-* flag, so the "
               "initial tasks run the image's check (RUNNING only after the first probe at ~30 s). The action sets only "
               "the interval: the spec's HealthConfig is {Interval: 2s} with no Test.",
    expect="moby merges the service's check over the image's field by field (daemon/commit.go `merge`): the replacement "
           "tasks run the image's wget test every 2 s, so each becomes RUNNING (healthy) ~2 s after its container starts "
           "instead of ~30 s; a parallelism-1 update of 3 tasks completes in ~15 s.")

# ---- s34–s37 (recorded 2026-12-07, fourth session "07d"): the task reaper (task history retention)
LIMIT = lambda n: [DOCKER, "swarm", "update", "--task-history-limit", str(n)]  # noqa: E731
CRASH_LOOP = dict(
    poll_s=0.05, replicas=2, health=HC_TUT,
    update=dict(parallelism=1, delay="0s", monitor="5s", failure_action="continue"),
    restart=dict(condition="any", delay="1s", max_attempts=0, window="0s"),
    action_args=["--image", "websim:crash"])
SCENARIOS["s34-reaper-crash-limit2"] = S(
    **CRASH_LOOP, record_s=45,
    host_setup=[LIMIT(2)], after=[LIMIT(5)],
    setup_note="Before the create (every run): `docker swarm update --task-history-limit 2`; after the recording: "
               "`docker swarm update --task-history-limit 5` (the swarm's default, restored).",
    expect="2 slots crash-loop (websim:crash exits 1 after ~1 s, restart delay 1 s) for the 45 s window; with a "
           "task history limit of 2 each new task of a slot makes the task reaper delete that slot's oldest "
           "finished tasks (~250 ms batching) so that the slot keeps 2 tasks; each deleted task's container is "
           "removed (`destroy`).")
SCENARIOS["s35-reaper-max-attempts"] = S(
    **{**CRASH_LOOP, "replicas": 3, "restart": dict(condition="any", delay="1s", max_attempts=3, window="0s")},
    record_s=40, host_setup=[LIMIT(2)], after=[LIMIT(5)],
    setup_note="Before the create (every run): `docker swarm update --task-history-limit 2`; after the recording: "
               "`docker swarm update --task-history-limit 5` (restored).",
    expect="restart max attempts 3: each slot runs the update's crash task and 3 restarts, then stays failed; the "
           "reaper keeps max_attempts + 1 = 4 tasks per slot (not the swarm's 2): only the slot's 5th task "
           "(its 3rd restart) makes it delete one task, the oldest (the v1-trap task the update shut down).")
SCENARIOS["s36-reaper-scale-down"] = S(
    action_kind="docker", action_args=["service", "scale", "--detach", "web=2"], record_s=30, poll_s=0.05,
    expect="6 replicas at rest, scaled to 2: slots 3–6 get desired state REMOVE, their containers are stopped "
           "(SIGTERM, exit 0) and, once the tasks are shut down, the reaper deletes them (~250 ms) and the "
           "agent removes their containers (`destroy`).")
SCENARIOS["s37-reaper-limit-change"] = S(
    **CRASH_LOOP, record_s=45,
    later=[dict(at_s=20, args=["swarm", "update", "--task-history-limit", "1"])], after=[LIMIT(5)],
    setup_note="The swarm's task history limit is the default 5 at the create; at t = 20 s it is set to 1; after "
               "the recording it is restored to 5 (`docker swarm update --task-history-limit 5`).",
    expect="2 slots crash-loop with the default limit 5: from each slot's 6th task on, one old task is deleted per "
           "new task; the change to 1 at t = 20 s deletes nothing by itself (the reaper only re-reads the limit); at "
           "each slot's next task creation the reaper trims the slot to 1 task: every finished task of the slot is deleted at "
           "once (the new task is not finished, so it is the one kept).")

# ---- s38–s39 (recorded 2026-12-07, fifth session "07e"): task deletion by `service rm` and by reconcile (dead slots)
SCENARIOS["s38-service-rm-history"] = S(
    **CRASH_LOOP, record_s=30, poll_by_id=True,
    later=[dict(at_s=15, args=["service", "rm", "web"])],
    setup_note="The swarm's task history limit is the default 5. The task poll is an unfiltered GET /tasks kept to "
               "the service's ID (spec key poll_by_id), so it goes on after the service is removed.",
    expect="2 slots crash-loop; at t = 15 s `docker service rm web`: every task of the service, the failed "
           "history tasks included, gets desired state REMOVE (SetServiceTasksRemove); the task reaper deletes each "
           "once it is past COMPLETE (the running one after its container stops), the agent removes the containers.")
SCENARIOS["s39-dead-slot-reconcile"] = S(
    **CRASH_LOOP, record_s=35, poll_by_id=True,
    later=[dict(at_s=10, args=["service", "scale", "--detach", "web=1"]),
           dict(at_s=20, args=["service", "update", "--detach", "--env-add", "A=1", "web"])],
    setup_note="The swarm's task history limit is the default 5. The task poll is an unfiltered GET /tasks kept to "
               "the service's ID (spec key poll_by_id).",
    expect="2 slots crash-loop; at t = 10 s scaled to 1: the removed slot's current task gets desired REMOVE and is "
           "deleted by the reaper once shut down; its older failed tasks (desired shutdown) stay until the spec "
           "change at t = 20 s, whose reconcile finds the slot dead (no runnable task) and deletes all its tasks.")

# ---- s40 (recorded 2026-12-07, seventh session "07g"): UpdateStatus on updates that ask for no new task
SCENARIOS["s40-update-status-resets"] = S(
    replicas=3, poll_s=0.05, record_s=45,
    action_args=["--image", "websim:v2-trap"],
    later=[dict(at_s=20, args=["service", "update", "--detach", "--update-parallelism", "2", "web"]),
           dict(at_s=25, args=["service", "rollback", "--detach", "web"]),
           dict(at_s=35, args=["service", "scale", "--detach", "web=4"])],
    setup_note="BASE with 3 replicas. After the image update (t = 0) three more commands, all `--detach`: t = 20 s "
               "`docker service update --update-parallelism 2 web`, t = 25 s `docker service rollback web`, t = 35 s "
               "`docker service scale web=4`. API poll every 0.05 s (the UpdateStatus column is the point).",
    expect="t = 0: a parallelism-1 rolling update of 3 tasks (updating; completed the monitor, 5 s, after the 3rd new "
           "task runs). t = 20: a spec change that makes no task dirty: controlapi UpdateService sets UpdateStatus to "
           "nil (not a rollback) and the updater, with no dirty slot and no UpdateStatus, does nothing: none. t = 25: the rollback restores the "
           "previous spec (parallelism 1, same image): UpdateService sets rollback_started, the updater finds no dirty "
           "slot and completes it at once (rollback_completed). t = 35: scale to 4: UpdateStatus nil again (none), "
           "one new task in slot 4, no update.")


# ---- s41 (2026-12-07k): the single node's own dockerd killed and started again while its task ignores SIGTERM (the
# single-node variant of multinode m18). The restarted daemon's restore stops the surviving container (SIGTERM, SIGKILL
# 10 s later: no live-restore, moby's default stop timeout) before it starts its swarm component and API.
SCENARIOS["s41-daemon-restart-sigterm-ignored"] = S(
    image="websim:v1", command=["httpd", "-f", "-p", "8080", "-h", "/www"], replicas=1, stop_grace_period="10s",
    action_kind="host", action_args=["sh", "-c", "kill -KILL $(cat /var/run/docker.pid)"],
    later=[dict(at_s=5, host=True,
                args=["sh", "-c", "multinode/start_manager.sh >/tmp/dockerd/start_nowait.out 2>&1 &"])],
    record_s=45,
    setup_note="One replica of websim:v1 with `httpd -f` as PID 1 (ignores SIGTERM), stop grace 10 s, otherwise BASE. "
               "The action is a host command: `kill -KILL` of the dockerd (its containerd dies with it; the shim and "
               "the container survive); at t = 5 s the same dockerd is started again in the background "
               "(`multinode/start_manager.sh`: the same command line, data-root and log). `docker events` is "
               "re-attached with `--since` when its stream breaks.",
    expect="the only node's dockerd SIGKILLed at t=0 and started again at t=5: its restore SIGTERMs the surviving "
           "container at ~t=5.2 and SIGKILLs it 10 s later (exit 137); only then do the swarm component (raft leader, "
           "dispatcher) and the API start (~t=15.8); the task is reported failed (137) and replaced after the 5 s "
           "restart delay (~t=21 created, running ~t=23).")

# ---- s42-s43 (recorded 2026-12-07, session "07l"): a task told a new desired state while its image pull is in flight.
# The update's image is on slow_registry.py (127.0.0.1:5001, serving websim:v2-trap from a `docker save` export, its
# layer marked so that it is a new layer and a new image; see slow_registry.py): each layer download is spread over
# --blob-delay seconds, so the pull takes a chosen, repeatable time. The node must not hold the image: it is removed
# before every create (the plain websim:* tags are kept).
REG = "127.0.0.1:5001/websim:v2-trap"
# every image of the repository, by ID: the pulled image is referenced by its digest (the CLI pins the service's image
# to REG@sha256:…), and `docker rmi REG` would remove only the tag, leaving the image (first tried, 2026-12-07l)
REG_REPO = REG.rsplit(":", 1)[0]
RMI_REG = [["sh", "-c", f"ids=$(/usr/bin/docker image ls -q {REG_REPO} | sort -u); [ -z \"$ids\" ] || "
                        f"/usr/bin/docker rmi -f $ids >/dev/null; [ -z \"$(/usr/bin/docker image ls -q {REG_REPO})\" ]"]]


def SLOW(delay):
    return ["python3", "slow_registry.py", "--save", "registry/websim-v2-trap.save.tar", "--port", "5001",
            "--blob-delay", delay, "--log", "raw/{tag}.registry.jsonl"]


def _slow_note(delay):
    return (f"One replica. Before the create: `docker rmi -f` of every image of {REG_REPO} (tag or digest; the recorder "
            f"checks that none is left). During the "
            f"whole run (started before the create, stopped after the recording) `python3 slow_registry.py --save "
            f"registry/websim-v2-trap.save.tar --port 5001 --blob-delay {delay} --log raw/NAME.rN.registry.jsonl` "
            f"serves {REG} (websim:v2-trap's rootfs plus one marker file: a new layer and image ID) with its layer "
            f"body spread over {delay} s; every request is logged with its time.")


SCENARIOS["s42-pull-then-stop-first"] = S(
    replicas=1, background=SLOW("3.8"), host_setup=RMI_REG,
    action_args=["--image", REG],
    setup_note=_slow_note("3.8"),
    expect="a stop-first step whose new task pulls for ~4 s: the new task (desired ready) is PREPARING (pulling) when "
           "the old task's SHUTDOWN makes the updater set it desired running (~1.4 s); the agent cancels the Prepare "
           "(the pull goes on in its own context), retries 1 s later and waits for the pull: READY when the pull ends "
           "(or 1 s after the desired change, if later), then STARTING/RUNNING; completed 5 s (monitor) after running.")
SCENARIOS["s42b-short-pull-then-stop-first"] = S(
    replicas=1, background=SLOW("1.5"), host_setup=RMI_REG,
    action_args=["--image", REG],
    setup_note=_slow_note("1.5"),
    expect="as s42 but the pull takes ~1.7 s, so it ends a few hundred ms after the desired running reaches the agent "
           "(~1.4 s): READY only when the retried Prepare runs, 1 s after the desired change, not at the pull's end.")
SCENARIOS["s42c-quick-pull-then-stop-first"] = S(
    replicas=1, background=SLOW("0.45"), host_setup=RMI_REG,
    action_args=["--image", REG],
    setup_note=_slow_note("0.45"),
    expect="as s42 but the pull takes ~0.7 s and ends before the old task is down: READY at the pull's end (desired "
           "still ready), STARTING when the desired running arrives (~1.4 s), as with a cached image.")
SCENARIOS["s43-shutdown-while-pulling"] = S(
    replicas=1, background=SLOW("7.8"), host_setup=RMI_REG,
    action_args=["--image", REG],
    later=[dict(at_s=3, args=["service", "update", "--detach", "--image", "websim:v3-trap", "web"])], record_s=35,
    setup_note=_slow_note("7.8") + " At t = 3 s (the v2 task still pulling) `docker service update --detach --image "
               "websim:v3-trap web` (local image). Recorded for a fixed 35 s.",
    expect="the v2 task, desired running since the old task's shutdown, is PREPARING with its pull (~8 s) in flight "
           "when the second update (t = 3 s) sets it desired shutdown: the agent cancels the Prepare, retries 1 s "
           "later with desired shutdown, and Shutdown cancels the pull: SHUTDOWN ~1 s after the desired change "
           "reaches the agent, never READY; the registry sees the layer download aborted then; the v3 task runs.")

SCENARIOS["s43b-shutdown-pull-ends-in-retry"] = S(
    replicas=1, background=SLOW("3.2"), host_setup=RMI_REG,
    action_args=["--image", REG],
    later=[dict(at_s=3, args=["service", "update", "--detach", "--image", "websim:v3-trap", "web"])], record_s=35,
    setup_note=_slow_note("3.2") + " At t = 3 s (the v2 task still pulling) `docker service update --detach --image "
               "websim:v3-trap web` (local image). Recorded for a fixed 35 s.",
    expect="as s43 but the pull (~3.4 s) ends a few hundred ms after the desired shutdown reaches the agent, inside "
           "the 1 s before the cancelled Prepare is retried: the retry finds desired shutdown and shuts the task down "
           "(SHUTDOWN ~1 s after the desired change), never READY, although the image was pulled (the registry sees "
           "the whole layer sent).")

# ---- s44-s44b (recorded 2026-12-07, session "07m"): a READY task (waiting for its delayed start under stop-first)
# shut down by a newer update. moby's executor `Shutdown` (daemon/cluster/executor/container/controller.go) sleeps the
# gossip-converge delay (2 s) before stopping any task with a service binding (a swarm network: every stack service),
# even one whose container never started; without a network it stops at once.
TRAP1 = dict(image="websim:v1", command=["httpd", "-f", "-p", "8080", "-h", "/www"], replicas=1,
             stop_grace_period="10s", record_s=25)
SCENARIOS["s44-ready-task-shutdown-stack"] = S(
    **TRAP1, stack=dict(name="app", action_image="websim:v1"), service_name="app_web",
    action_kind="docker", action_args=["service", "update", "--detach", "--image", "websim:v2-trap", "app_web"],
    later=[dict(at_s=3, args=["service", "update", "--detach", "--image", "websim:v3-trap", "app_web"])],
    setup_note="Deployed as stack `app` (service app_web on the overlay app_default); both updates are bare `docker "
               "service update --image` of app_web (the stack's second file is unused). The running v1 task is "
               "httpd as PID 1 (ignores SIGTERM: its stop takes the 10 s grace, after the 2 s gossip delay).",
    expect="t = 0 (v2-trap): the v2 task is created desired READY, prepared (READY, container created) and waits for "
           "the v1 task (SHUTDOWN ~12 s: 2 s gossip delay + 10 s grace). t = 3 (v3-trap): the READY v2 task is told "
           "SHUTDOWN; with a service binding moby's Shutdown waits the 2 s gossip delay first, so SHUTDOWN ~2 s after "
           "the desired change reaches the agent (never started); the v3 task runs after the v1 task is down.")
SCENARIOS["s44b-ready-task-shutdown-bare"] = S(
    **TRAP1,
    action_args=["--image", "websim:v2-trap"],
    later=[dict(at_s=3, args=["service", "update", "--detach", "--image", "websim:v3-trap", "web"])],
    expect="contrast for s44: `docker service create` (no network): the v1 task stops after its 10 s grace, the READY "
           "v2 task is shut down at once when the desired change reaches the agent (no gossip delay).")

# ---- s45-s46 (recorded 2026-12-08, session "08", helper rec34): the order in which a parallelism-1 update takes
# MORE than 8 slots. swarmkit's replicated reconcile ranges over a Go map of the slots (updatableAndDeadSlots,
# filled in task-id order); with up to 8 keys the map is one bucket (the order is a rotation of id order), with more
# it has several buckets placed by a seeded hash (Go 1.19 runtime/map.go; deploysim's src/gomap.rs). No spec change
# but the replica count: BASE (websim:v1-trap, health every 1 s, update parallelism 1, delay 0s, stop-first).
SCENARIOS["s45-update-order-16-par1"] = S(
    replicas=16, action_args=["--image", "websim:v2-trap"], hard_timeout_s=240,
    setup_note="BASE with 16 replicas (one node). The point is the ORDER in which the update takes the 16 slots.",
    expect="a parallelism-1 rolling update of 16 tasks, one slot at a time (stop old, start new, wait healthy); the "
           "slots are taken in the order of a Go map range over 16 keys inserted in task-id order (4 buckets after "
           "two growths): each bucket's keys in id order, rotated by one common cell offset, the buckets in turn "
           "from a random one; completed ~5 s (monitor) after the 16th new task runs.")
SCENARIOS["s46-update-order-40-par1"] = S(
    replicas=40, action_args=["--image", "websim:v2-trap"], hard_timeout_s=400,
    setup_note="BASE with 40 replicas (one node). The point is the ORDER in which the update takes the 40 slots.",
    expect="as s45 with 40 keys (8 buckets after three growths, a bucket of more than 8 keys chained to an overflow "
           "bucket); the update takes ~40 steps of ~1.5-2 s.")

ORDER = list(SCENARIOS.keys())


# ---------------------------------------------------------------- command lines
def _flags(prefix, cfg):
    out = [f"--{prefix}-parallelism", str(cfg["parallelism"]),
           f"--{prefix}-delay", cfg["delay"],
           f"--{prefix}-order", cfg["order"],
           f"--{prefix}-failure-action", cfg["failure_action"],
           f"--{prefix}-monitor", cfg["monitor"],
           f"--{prefix}-max-failure-ratio", str(cfg["max_failure_ratio"])]
    return out


def stack_files(name):
    """the stack files of a stack scenario (relative to this folder): initial, action."""
    return f"stacks/{name}.yml", f"stacks/{name}.v2.yml"


def scenario_name(s):
    return next(k for k, v in SCENARIOS.items() if v is s)


def create_argv(s, name=SERVICE):
    if s.get("stack"):
        return [DOCKER, "stack", "deploy", "-c", stack_files(scenario_name(s))[0], s["stack"]["name"]]
    h, r = s["health"], s["restart"]
    argv = [DOCKER, "service", "create", "--detach", "--name", name]
    if s.get("mode", "replicated") == "global":
        argv += ["--mode", "global"]
    else:
        argv += ["--replicas", str(s["replicas"])]
    argv += _flags("update", s["update"]) + _flags("rollback", s["rollback"])
    argv += ["--restart-condition", r["condition"], "--restart-delay", r["delay"],
             "--restart-max-attempts", str(r["max_attempts"]), "--restart-window", r["window"]]
    argv += ["--stop-grace-period", s["stop_grace_period"]]
    if h is not None:   # s33: no --health-* flag at all
        argv += ["--health-cmd", h["cmd"], "--health-interval", h["interval"],
                 "--health-timeout", h["timeout"], "--health-retries", str(h["retries"]),
                 "--health-start-period", h["start_period"]]
    for sec in s["secrets"]:
        argv += ["--secret", f"source={sec['source']},target={sec['target']}"]
    for mnt in s.get("mounts") or []:
        argv += ["--mount", mnt]
    if s.get("reserve_cpu"):
        argv += ["--reserve-cpu", s["reserve_cpu"]]
    for c in s.get("constraints") or []:
        argv += ["--constraint", c]
    argv.append(s["image"])
    if s["command"]:
        argv += s["command"]
    return argv


def action_argv(s, name=SERVICE):
    if s["action_kind"] == "create":
        return create_argv(s, name)
    if s["action_kind"] == "rollback":
        return [DOCKER, "service", "rollback", "--detach", name]
    if s["action_kind"] == "stack":
        return [DOCKER, "stack", "deploy", "-c", stack_files(scenario_name(s))[1], s["stack"]["name"]]
    if s["action_kind"] == "host":     # 2026-12-07k (s41): a host command (argv as given), e.g. killing the dockerd
        return list(s["action_args"])
    if s["action_kind"] in ("container", "docker"):
        # CONTAINER_OF_SLOT_N is replaced (just before t = 0) by the container ID of slot N's running task
        return [DOCKER] + s["action_args"]
    return [DOCKER, "service", "update", "--detach"] + s["action_args"] + [name]


def later_argvs(s):
    """(t, argv) of the commands after the action (s31+); CONTAINER_OF_SLOT_N is resolved when run."""
    # 2026-12-07k (s41): an entry with host=True is a host command (argv as given), not `docker ARGS`
    return [(l["at_s"], list(l["args"]) if l.get("host") else [DOCKER] + l["args"]) for l in (s.get("later") or [])]


def setup_update_argv(s, name=SERVICE):
    if not s["setup_update_args"]:
        return None
    return [DOCKER, "service", "update", "--detach"] + s["setup_update_args"] + [name]


def shell(argv):
    return " ".join(shlex.quote(a) for a in argv)


# ---------------------------------------------------------------- compose
def _q(v):
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(v)


def stack_yaml(name, s, image=None):
    h, u, rb, r = s["health"], s["update"], s["rollback"], s["restart"]
    L = []
    if s.get("stack"):
        L.append(f"# Stack file of scenario {name}, deployed as-is with "
                 f"`docker stack deploy -c <this file> {s['stack']['name']}`")
        L.append("# (" + ("the ACTION: same spec, only the image changed" if image else "the INITIAL deploy") +
                 f"). Service {s['stack']['name']}_web on the stack's default overlay network.")
    else:
        L.append(f"# Stack-file equivalent of the INITIAL spec of scenario {name}.")
        L.append("# Deployed with `docker stack deploy` the service would be named <stack>_web and")
        L.append("# attached to a <stack>_default overlay network; the recorded runs used")
        L.append("# `docker service create --name web` with no extra networks (see scenarios.md).")
    L.append('version: "3.8"')
    L.append("services:")
    L.append("  web:")
    L.append(f"    image: {_q(image or s['image'])}")
    if s["command"]:
        L.append("    command: [" + ", ".join(_q(c) for c in s["command"]) + "]")
    if h is not None:   # s33: none (the image's HEALTHCHECK)
        L.append("    healthcheck:")
        L.append(f"      test: [\"CMD-SHELL\", {_q(h['cmd'])}]")
        for k in ("interval", "timeout"):
            L.append(f"      {k}: {h[k]}")
        L.append(f"      retries: {h['retries']}")
        L.append(f"      start_period: {h['start_period']}")
    L.append(f"    stop_grace_period: {s['stop_grace_period']}")
    if s.get("mounts"):
        L.append("    volumes:")
        for mnt in s["mounts"]:
            kv = dict(x.split("=", 1) for x in mnt.split(","))
            L.append(f"      - type: {kv['type']}")
            L.append(f"        source: {kv['src']}")
            L.append(f"        target: {kv['dst']}")
    if s["secrets"]:
        L.append("    secrets:")
        for sec in s["secrets"]:
            L.append(f"      - source: {sec['source']}")
            L.append(f"        target: {sec['target']}")
    L.append("    deploy:")
    if s.get("mode", "replicated") == "global":
        L.append("      mode: global")
    else:
        L.append("      mode: replicated")
        L.append(f"      replicas: {s['replicas']}")
    for key, cfg in (("update_config", u), ("rollback_config", rb)):
        L.append(f"      {key}:")
        L.append(f"        parallelism: {cfg['parallelism']}")
        L.append(f"        delay: {cfg['delay']}")
        L.append(f"        failure_action: {cfg['failure_action']}")
        L.append(f"        monitor: {cfg['monitor']}")
        L.append(f"        max_failure_ratio: {cfg['max_failure_ratio']}")
        L.append(f"        order: {cfg['order']}")
    if s.get("reserve_cpu"):
        L.append("      resources:")
        L.append("        reservations:")
        L.append(f"          cpus: {_q(s['reserve_cpu'])}")
    L.append("      restart_policy:")
    L.append(f"        condition: {r['condition']}")
    L.append(f"        delay: {r['delay']}")
    L.append(f"        max_attempts: {r['max_attempts']}")
    L.append(f"        window: {r['window']}")
    if s["secrets"]:
        L.append("secrets:")
        for sec in s["secrets"]:
            L.append(f"  {sec['source']}:")
            L.append("    external: true")
    if s.get("stack"):
        return "\n".join(L) + "\n"
    L.append("x-fidelity:")
    L.append(f"  scenario: {name}")
    L.append(f"  action_kind: {s['action_kind']}")
    L.append(f"  action: {_q(shell(action_argv(s)))}")
    if s["setup_update_args"]:
        L.append(f"  setup_update_before_action: {_q(shell(setup_update_argv(s)))}")
    for t, argv in later_argvs(s):
        L.append(f"  later_t{t}s: {_q(shell(argv))}")
    return "\n".join(L) + "\n"
