//! Records in the state folder are data: a corrupted or forged one gives a clear error naming
//! it — never a hang, a wrap-around or a step run on its say-so.

use std::fs;
use std::time::{Duration, Instant};

use crate::harness::World;

/// A world with one applied link and its state folder.
fn applied() -> (World, std::path::PathBuf) {
    let w = World::new();
    w.repo_file("f", "x\n");
    w.manifest("version = 1\n[links]\n\"~/f\" = \"f\"\n");
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    let dir = w.manifest_state().unwrap();
    (w, dir)
}

/// Rewrites operation `id`'s record with `edit` applied to its JSON.
fn edit_op(dir: &std::path::Path, id: u64, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("ops").join(format!("{id:08}.json"));
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    fs::write(&path, v.to_string()).unwrap();
}

/// Runs the real binary, killed after 10 s (a hang is a failure, not a stuck suite).
fn run_bounded(w: &World, args: &[&str]) -> (Option<i32>, String) {
    let mut cmd = w.command(args);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = crate::harness::spawn(&mut cmd);
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return (status.code(), w.filter(&err));
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            return (None, "killed after 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_parent_chain_that_loops_is_an_error_not_a_hang() {
    let (w, dir) = applied();
    edit_op(&dir, 1, |v| v["parent"] = 1.into());
    for cmd in ["log", "unlink", "undo"] {
        let (code, err) = run_bounded(&w, &[cmd]);
        assert_eq!(code, Some(1), "{cmd}: {err}");
        assert!(err.contains("00000001.json"), "{cmd}: {err}");
        assert!(err.contains("parent"), "{cmd}: {err}");
    }
}

#[test]
fn an_undo_cycle_is_an_error_not_a_hang() {
    let (w, dir) = applied();
    // Operation 2 undoes 3, and 3 undoes 3: undo would walk 3 -> 2 -> 3 -> ...
    let record = fs::read_to_string(dir.join("ops/00000001.json")).unwrap();
    for (id, undoes) in [(2u64, 3u64), (3, 3)] {
        let mut v: serde_json::Value = serde_json::from_str(&record).unwrap();
        v["id"] = id.into();
        v["parent"] = (id - 1).into();
        v["undoes"] = undoes.into();
        fs::write(dir.join(format!("ops/{id:08}.json")), v.to_string()).unwrap();
    }
    fs::write(dir.join("head"), "3\n").unwrap();
    let (code, err) = run_bounded(&w, &["undo"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("undoes"), "{err}");
}

#[test]
fn an_id_at_the_integer_limit_is_an_error_not_operation_0() {
    let (w, dir) = applied();
    let max = u64::MAX;
    edit_op(&dir, 1, |v| v["id"] = max.into());
    fs::rename(
        dir.join("ops/00000001.json"),
        dir.join(format!("ops/{max:08}.json")),
    )
    .unwrap();
    fs::write(dir.join("head"), format!("{max}\n")).unwrap();
    w.manifest("version = 1\n[links]\n\"~/g\" = \"f\"\n");
    let before = w.snapshot();
    let (code, err) = run_bounded(&w, &["apply"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(&max.to_string()), "{err}");
    assert_eq!(w.snapshot(), before);
}

#[test]
fn a_record_whose_id_is_not_its_name_is_refused() {
    let (w, dir) = applied();
    edit_op(&dir, 1, |v| v["id"] = 7.into());
    let (code, err) = run_bounded(&w, &["log"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("00000001.json"), "{err}");
}

#[test]
fn a_record_that_is_not_utf8_or_not_json_is_an_error_naming_it() {
    let (w, dir) = applied();
    let path = dir.join("ops/00000001.json");
    let record = fs::read(&path).unwrap();
    // A byte that is never UTF-8 inside a string, and a record cut short.
    let at = record.windows(4).position(|b| b == b"\"at\"").unwrap();
    let mut bad_byte = record.clone();
    bad_byte.splice(at + 1..at + 1, [0xff]);
    let cut = record[..record.len() / 2].to_vec();
    for bytes in [bad_byte, cut] {
        fs::write(&path, &bytes).unwrap();
        for cmd in ["plan", "apply", "log"] {
            let (code, err) = run_bounded(&w, &[cmd]);
            assert_eq!(code, Some(1), "{cmd}: {err}");
            assert!(err.contains("00000001.json"), "{cmd}: {err}");
        }
    }
    assert_eq!(fs::read_link(w.home.join("f")).unwrap(), w.repo.join("f"));
}

/// Backup folders are steps of the operation, made after its intent is written (a run killed
/// while planning leaves none behind), named without probing, and known to recovery.
#[test]
fn backup_folders_are_made_after_the_intent_as_steps() {
    let w = World::new();
    w.manifest("version = 1\n[defaults]\non_conflict = \"backup\"\n[links]\n\"~/a\" = \"a\"\n\"~/b\" = \"b\"\n\"~/c\" = \"c\"\n");
    for n in ["a", "b", "c"] {
        w.repo_file(n, "repo\n");
        w.home_file(n, &format!("the user's {n}\n"));
    }
    let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
    let store = session.state.dir.join("backups");
    let intent = session.state.intent_path();
    let mut seen = Vec::new();
    let (outcome, _) = session
        .apply(linkfile::command::Command::Apply, None, &mut |step| {
            let folders: Vec<_> = fs::read_dir(&store)
                .map(|d| d.map(|e| e.unwrap().file_name()).collect())
                .unwrap_or_default();
            seen.push((intent.exists(), folders.len(), format!("{step:?}")));
            Ok(())
        })
        .unwrap();
    assert_eq!(outcome.backups.len(), 3);
    // Before the first step, the intent is there and no backup folder yet.
    assert_eq!((seen[0].0, seen[0].1), (true, 0), "{seen:#?}");
    let names: Vec<_> = {
        let mut n: Vec<_> = fs::read_dir(&store)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names, ["00000001-1", "00000001-2", "00000001-3"]);
    // Not folders linkfile made for links: undo does not try to remove them.
    assert!(
        !w.run(&["log", "--json"])
            .stdout
            .contains("backups/00000001-1\"\n")
    );
    assert_eq!(w.run(&["undo"]).code, 0);
    for n in ["a", "b", "c"] {
        assert_eq!(
            fs::read_to_string(w.home.join(n)).unwrap(),
            format!("the user's {n}\n")
        );
    }
}

/// The operation's record cannot be written (here: `ops` turns into a file while the apply runs;
/// on a full disk, ENOSPC): every link is in place, and the message says so and what the next
/// run does — which then rolls it back and says so, even under `-q`.
#[test]
fn a_failed_commit_tells_the_truth() {
    let w = World::new();
    w.repo_file("f", "x\n");
    w.manifest("version = 1\n[links]\n\"~/f\" = \"f\"\n");
    let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
    let dir = session.state.dir.clone();
    let ops = dir.join("ops");
    let err = session
        .apply(linkfile::command::Command::Apply, None, &mut |_| {
            if !ops.exists() {
                fs::write(&ops, "in the way\n")?;
            }
            Ok(())
        })
        .unwrap_err();
    assert_eq!(err.exit_code(), linkfile::ExitCode::Error);
    let msg = err.to_string();
    assert!(w.link_text("f").is_some(), "the link is in place: {msg}");
    assert!(msg.contains("could not be recorded"), "{msg}");
    assert!(msg.contains("in place"), "{msg}");
    assert!(msg.contains("rolls it back"), "{msg}");
    assert!(!msg.contains("nothing was changed"), "{msg}");

    fs::remove_file(dir.join("ops")).unwrap();
    let r = w.run(&["apply", "-q"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("Recovered: an interrupted `linkfile apply`"),
        "{r:?}"
    );
    assert_eq!(w.link_text("f").unwrap(), w.repo.join("f"));
    assert_eq!(w.run(&["undo"]).code, 0);
    assert!(w.link_text("f").is_none());
}
