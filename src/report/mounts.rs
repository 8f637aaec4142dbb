//! `mounts.csv`: where each secret was mounted in each task's container, when it started.
//! Names, paths and modes only — a secret's value never enters the simulator.

use crate::model::record::RunRecord;

use super::events::{finish, write_row};

const HEADER: [&str; 9] = ["t_s", "service", "task_id", "node", "secret", "path", "uid", "gid", "mode"];

/// The header, then one row per mounted secret in record order; `mode` in octal as Docker
/// prints it (`0444`).
pub fn mounts_csv(run: &RunRecord) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    write_row(&mut out, &HEADER);
    for m in &run.secret_mounts {
        let row = [
            m.t.secs_ms(),
            m.service.to_string(),
            m.task_id.to_string(),
            m.node.to_string(),
            m.secret.clone(),
            m.path.clone(),
            m.uid.clone(),
            m.gid.clone(),
            format!("{:04o}", m.mode),
        ];
        write_row(&mut out, &row);
    }
    finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::SecretMount;
    use crate::report::fixtures::empty_run;
    use crate::time::SimTime;

    #[test]
    fn one_row_per_mount_with_octal_mode() {
        let mut run = empty_run();
        run.secret_mounts.push(SecretMount {
            t: SimTime(2_500_000_000),
            service: "app_web".into(),
            task_id: "t1".into(),
            node: "node-1".into(),
            secret: "app_db_password".into(),
            path: "/run/secrets/db_password".into(),
            uid: "0".into(),
            gid: "0".into(),
            mode: 0o444,
        });
        let text = String::from_utf8(mounts_csv(&run)).unwrap();
        assert_eq!(
            text,
            "t_s,service,task_id,node,secret,path,uid,gid,mode\n\
             2.500,app_web,t1,node-1,app_db_password,/run/secrets/db_password,0,0,0444\n"
        );
    }
}
