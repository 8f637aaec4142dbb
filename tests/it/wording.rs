//! What a real Docker 20.10.24 swarm printed, against what deploysim says for the same case
//! (tests/data/fidelity/wording/, two runs each): a stack redeploy whose file secret changed
//! (swarmkit `controlapi.UpdateSecret`, docker/cli `createSecrets`), a stack file with an
//! undeclared network (docker/cli `convertServiceNetworks`), and `docker kill` while the node's
//! dockerd is down (the CLI's connection error; moby's `restore` without live-restore). The
//! expected words are read from the captures, so the tests follow the data.

use std::path::PathBuf;

use deploysim::model::record::{ProcessChange, RunRecord};
use deploysim::model::task::TaskState;
use deploysim::time::SimTime;

use crate::common;

fn wording_dir() -> PathBuf {
    common::repo_root().join("tests/data/fidelity/wording")
}

/// One recorded command: the line after `$ `, its exit code, its standard output and error.
#[derive(Debug)]
struct Captured {
    command: String,
    rc: i32,
    stdout: String,
    stderr: String,
}

/// The commands of a capture file (format in its README: `$ command`, `rc=N`, `--- stdout`,
/// `--- stderr`, up to the next `$ ` or `# ` line), and its `# ` notes.
fn read_capture(name: &str) -> (Vec<Captured>, Vec<String>) {
    let path = wording_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut commands: Vec<Captured> = Vec::new();
    let mut notes = Vec::new();
    let mut section = "";
    for line in text.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            commands.push(Captured {
                command: command.to_string(),
                rc: -1,
                stdout: String::new(),
                stderr: String::new(),
            });
            section = "";
        } else if let Some(note) = line.strip_prefix("# ") {
            notes.push(note.to_string());
            section = "note";
        } else if let (Some(c), Some(rc)) = (commands.last_mut(), line.strip_prefix("rc=")) {
            c.rc = rc.parse().expect("rc=N");
        } else if line == "--- stdout" || line == "--- stderr" {
            section = if line.ends_with("stdout") { "stdout" } else { "stderr" };
        } else if let Some(c) = commands.last_mut() {
            match section {
                "stdout" => c.stdout.push_str(&format!("{line}\n")),
                "stderr" => c.stderr.push_str(&format!("{line}\n")),
                _ => {}
            }
        }
    }
    assert!(commands.iter().all(|c| c.rc >= 0), "{name}: every command has its rc");
    (commands, notes)
}

/// The one recorded command that starts with `prefix`, or (with `nth`) the nth of them.
fn command<'c>(commands: &'c [Captured], prefix: &str, nth: usize) -> &'c Captured {
    commands
        .iter()
        .filter(|c| c.command.starts_with(prefix))
        .nth(nth)
        .unwrap_or_else(|| panic!("no recorded command #{nth} starting with {prefix:?}"))
}

fn scenario(name: &str) -> PathBuf {
    wording_dir().join("scenarios").join(name)
}

fn secs(s: f64) -> SimTime {
    SimTime((s * 1e9) as u64)
}

/// What the simulated CLI answered to the timeline command `text`.
fn answer<'r>(run: &'r RunRecord, text: &str) -> Option<&'r str> {
    let action = run.actions.iter().find(|(_, t, _)| t == text).unwrap_or_else(|| panic!("{text} not run"));
    action.2.as_deref()
}

#[test]
fn a_stack_redeploy_whose_secret_file_changed_is_refused_as_docker_refused_it() {
    // Checks, against stack-secret-changed.rN.txt, that deploysim refuses the deploy whose
    // secret holds other bytes with Docker's stderr (stack name aside), touches no service (the
    // recorded web kept its version and image; extra was not created), and accepts the same
    // bytes both before (nothing rolls out: no UpdateStatus) and after (web updated, extra
    // created). Every refused command exits 1 in Docker; deploysim logs it as refused.
    for r in 1..=2 {
        let (commands, _) = read_capture(&format!("stack-secret-changed.r{r}.txt"));
        let ns = format!("wsec{r}");
        let deploys: Vec<&Captured> =
            commands.iter().filter(|c| c.command.starts_with("docker stack deploy")).collect();
        let rcs: Vec<i32> = deploys.iter().map(|c| c.rc).collect();
        assert_eq!(rcs, [0, 0, 1, 0], "r{r}: first, same bytes, other bytes, same bytes again");
        let refused = deploys[2];
        assert_eq!(refused.stdout, "", "r{r}: nothing created or updated is announced");
        let recorded = refused.stderr.trim_end().replace(&format!("{ns}_"), "wsec_");
        let listed = |nth: usize| command(&commands, "docker service ls", nth).stdout.clone();
        let web = |nth: usize| command(&commands, "docker service inspect", nth).stdout.clone();
        assert_eq!(listed(2), listed(1), "r{r}: the refused deploy created no service");
        assert_eq!(web(2), web(1), "r{r}: nor updated web (same version, image, update status)");
        assert!(listed(3).contains(&format!("{ns}_extra")), "r{r}: the accepted deploy creates extra");
        assert!(web(1).contains("updatestatus=\n"), "r{r}: an identical redeploy starts no rollout");

        for seed in [1, 2, 3] {
            let run = common::simulate_file(&scenario("w01-stack-secret-changed.yml"), Some(seed)).expect("w01");
            let said = |file: &str| answer(&run, &format!("docker stack deploy -c {file} wsec"));
            assert_eq!(said("w01-stack-v1.yml"), None, "seed {seed}: same bytes are no change");
            assert_eq!(said("w01-stack-v2-other-bytes.yml"), Some(recorded.as_str()), "seed {seed}, r{r}");
            assert_eq!(said("w01-stack-v2.yml"), None, "seed {seed}: the first bytes again");
            let touched: Vec<_> = run.events().filter(|e| e.t >= secs(10.0) && e.t < secs(30.0)).collect();
            assert!(touched.is_empty(), "seed {seed}: no task changed before the accepted deploy: {touched:?}");
            let web = run.services.iter().find(|s| s.name == "wsec_web").expect("web");
            assert!(web.previous_updates.is_empty(), "seed {seed}: one update of web only");
            let started = web.update.started_at.expect("the accepted deploy updates web");
            assert!(started >= secs(30.0), "seed {seed}: web's only update is the accepted deploy's: {started:?}");
            let extra_first = run.events().find(|e| e.service == "wsec_extra").map(|e| e.t).expect("extra created");
            assert!(extra_first >= secs(30.0), "seed {seed}: extra created by the accepted deploy only");
        }
    }
}

/// The stack files of a capture, from its `# NAME.yml:` notes and the indented lines after.
fn captured_files(name: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(wording_dir().join(name)).expect("capture");
    let mut files: Vec<(String, String)> = Vec::new();
    let mut current: Option<usize> = None;
    for line in text.lines() {
        if let Some(file) = line.strip_prefix("# ").and_then(|n| n.split(':').next()).filter(|n| n.ends_with(".yml")) {
            files.push((file.to_string(), String::new()));
            current = Some(files.len() - 1);
        } else if let (Some(i), Some(body)) = (current, line.strip_prefix("    ")) {
            files[i].1.push_str(&format!("{body}\n"));
        } else if !line.is_empty() {
            current = None;
        }
    }
    files
}

#[test]
fn a_stack_file_naming_an_undeclared_network_is_refused_in_docker_words() {
    // Checks, against stack-undefined-network.rN.txt, deploysim's refusal of each recorded file:
    // Docker's stderr is the message (at the service's networks key), whether the file is the
    // scenario's own stack or a timeline deploy. Docker refuses it only while deploying (rc 1,
    // after creating the stack's networks, `x` included, and its secrets; no service): deploysim
    // reads every deployed file at load, so it refuses the scenario (exit 2) before running it.
    for r in 1..=2 {
        let capture = format!("stack-undefined-network.r{r}.txt");
        let (commands, _) = read_capture(&capture);
        let files = captured_files(&capture);
        assert_eq!(files.len(), 2, "r{r}: {files:?}");
        for (i, (file, text)) in files.iter().enumerate() {
            let deployed = command(&commands, "docker stack deploy", i);
            assert_eq!(deployed.command, format!("docker stack deploy -c {file} wnet{r}"));
            assert_eq!(deployed.rc, 1, "r{r} {file}");
            assert_eq!(command(&commands, "docker service ls", i).stdout, "", "r{r} {file}: no service");
            let recorded = deployed.stderr.trim_end();

            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(dir.path().join("s.txt"), "value\n").expect("secret file");
            std::fs::write(dir.path().join(file), text).expect("stack file");
            let base = "version: \"3.8\"\nservices:\n  web:\n    image: websim:v1-trap\n";
            let timeline = format!(
                "{base}x-simulation:\n  stack: wnet\n  until: 20s\n  timeline:\n    - at: 5s\n      run: docker stack deploy -c {file} wnet\n"
            );
            std::fs::write(dir.path().join("timeline.yml"), timeline).expect("scenario");
            let own = text.replace("version: \"3.8\"\n", "version: \"3.8\"\nx-simulation:\n  stack: wnet\n");
            std::fs::write(dir.path().join("own.yml"), own).expect("scenario");
            for (scenario, at) in [("timeline.yml", file.as_str()), ("own.yml", "own.yml")] {
                let error = deploysim::scenario::load(&dir.path().join(scenario)).expect_err("refused at load");
                let messages: Vec<&str> = error.diagnostics.iter().map(|d| d.message.as_str()).collect();
                assert_eq!(messages, [recorded], "r{r} {file} as {scenario}");
                let d = &error.diagnostics[0];
                assert_eq!(d.path, "services.web.networks", "r{r} {file} as {scenario}");
                assert!(d.file.ends_with(at), "r{r}: shown in the file that has it: {}", d.file);
            }
        }
    }
    // The bundled example: `deploysim check` prints the recorded words and exits 2 (bad input).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_deploysim"))
        .args(["check", scenario("w02-stack-undefined-network.yml").to_str().expect("utf-8")])
        .output()
        .expect("deploysim check");
    let (commands, _) = read_capture("stack-undefined-network.r1.txt");
    let recorded = command(&commands, "docker stack deploy", 0).stderr.trim_end().to_string();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&recorded), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn docker_kill_with_the_nodes_dockerd_down_cannot_connect_and_the_restart_stops_the_container() {
    // Checks, against kill-daemon-down.rN.txt, that every kill form the capture tried while the
    // only node's dockerd was down (`docker kill`, `--signal TERM`, `docker container kill`) is
    // refused with the CLI's recorded stderr and leaves the container running; and that the
    // restarted dockerd (no live-restore) stops the container with the exit code Docker
    // recorded, the task ends COMPLETE, and a replacement in the same slot runs.
    let w03 = scenario("w03-kill-daemon-down.yml");
    for r in 1..=2 {
        let (commands, notes) = read_capture(&format!("kill-daemon-down.r{r}.txt"));
        let kills: Vec<&Captured> = commands
            .iter()
            .filter(|c| c.command.starts_with("docker kill") || c.command.starts_with("docker container kill"))
            .collect();
        assert_eq!(kills.len(), 4, "r{r}");
        let recorded = kills[0].stderr.trim_end();
        for k in &kills {
            assert_eq!((k.rc, k.stdout.as_str(), k.stderr.trim_end()), (1, "", recorded), "r{r}: {}", k.command);
        }
        assert!(notes.iter().any(|n| n.ends_with("alive after the kills: yes")), "r{r}: {notes:?}");
        let state = command(&commands, "docker inspect", 0).stdout.clone();
        let exit: i32 = state
            .split("exitcode=")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .expect("exitcode=");
        assert!(state.starts_with("status=exited"), "r{r}: {state}");
        let tasks = command(&commands, "docker service ps", 1).stdout.clone();
        assert!(tasks.lines().any(|l| l.contains(" Shutdown Complete ")), "r{r}: the old task: {tasks}");
        assert!(tasks.lines().any(|l| l.contains(" Running Running ")), "r{r}: its replacement: {tasks}");

        for seed in [1, 2, 3] {
            let run = common::simulate_file(&w03, Some(seed)).expect("w03");
            for text in [
                "docker kill wkill_web.1",
                "docker kill --signal TERM wkill_web.1",
                "docker container kill wkill_web.1",
            ] {
                assert_eq!(answer(&run, text), Some(recorded), "seed {seed}, r{r}: {text}");
            }
            let first = run.events().next().map(|e| e.task_id.to_string()).expect("a task");
            let changes: Vec<(SimTime, ProcessChange)> =
                run.process_events.iter().filter(|p| run.name(p.task_id) == first).map(|p| (p.t, p.change)).collect();
            assert!(
                changes.iter().all(|(t, _)| *t >= secs(15.0)),
                "seed {seed}: nothing reached it while down: {changes:?}"
            );
            assert_eq!(
                changes.last().map(|c| c.1),
                Some(ProcessChange::Exited(exit)),
                "seed {seed}, r{r}: {changes:?}"
            );
            let states: Vec<TaskState> = run.events().filter(|e| e.task_id == first).map(|e| e.state).collect();
            assert_eq!(states.last(), Some(&TaskState::Complete), "seed {seed}: {states:?}");
            let replaced = run.events().any(|e| e.task_id != first && e.slot == 1 && e.state == TaskState::Running);
            assert!(replaced, "seed {seed}: a replacement runs in slot 1");
        }
    }
}
