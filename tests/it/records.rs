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

/// A record read link by link (as a plan reads a large one) gives the same operation and the
/// same links, in order, as one read whole; and the same errors, naming the record.
#[test]
fn a_record_read_link_by_link_reads_as_one_read_whole() {
    let w = World::new();
    let mut manifest = String::from("version = 1\n[links]\n");
    for i in 0..40 {
        w.repo_file(&format!("d/f{i:02}"), "x\n");
        manifest.push_str(&format!("\"~/.d/f{i:02}\" = \"d/f{i:02}\"\n"));
    }
    w.repo_file("t", "x\n");
    manifest.push_str("[[link]]\nat = \"~/.t\"\nto = \"t\"\ntags = [\"a\", \"b\"]\n");
    w.manifest(&manifest);
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    let dir = w.manifest_state().unwrap();
    // Loaded before any damage (loading reads the newest record too).
    let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
    let read = |id: u64| {
        let whole = session.state.op(id);
        let mut links = Vec::new();
        let streamed = session.state.op_streaming(id, &mut |l| links.push(l));
        (whole, streamed, links)
    };
    let (whole, streamed, links) = read(1);
    let (whole, streamed) = (whole.unwrap(), streamed.unwrap());
    assert_eq!(whole.view.len(), 41);
    assert_eq!(links, whole.view);
    assert!(streamed.view.is_empty());
    assert_eq!(
        streamed,
        linkfile::oplog::Operation {
            view: Vec::new(),
            ..whole
        }
    );
    // Damaged: cut in half, another id inside, a field twice, no view.
    let path = dir.join("ops/00000001.json");
    let good = fs::read_to_string(&path).unwrap();
    let twice = good.replacen("\"time\":", "\"time\":1,\"time\":", 1);
    let no_view = {
        let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
        v.as_object_mut().unwrap().remove("view");
        v.to_string()
    };
    for (what, text) in [
        ("cut", good[..good.len() / 2].to_string()),
        ("other id", good.replacen("\"id\":1", "\"id\":7", 1)),
        ("field twice", twice),
        ("no view", no_view),
    ] {
        fs::write(&path, &text).unwrap();
        let (whole, streamed, _) = read(1);
        let (whole, streamed) = (whole.unwrap_err(), streamed.unwrap_err());
        assert_eq!(
            std::mem::discriminant(&whole),
            std::mem::discriminant(&streamed),
            "{what}: {whole} / {streamed}"
        );
        for e in [whole, streamed] {
            assert!(e.to_string().contains("00000001.json"), "{what}: {e}");
        }
    }
}

/// A history whose newest record is over 2 MiB (24,000 links) is read after observation, link
/// by link (`pipeline::READ_WHOLE_UP_TO`): every link is still linkfile's. A folder the
/// manifest leaves out is removed, the rest left alone, and undo puts it back.
#[test]
#[ignore = "slow: .ci/run runs it"]
fn a_large_history_is_read_link_by_link_and_owns_every_link() {
    crate::require_symlinks!();
    let w = World::new_in(std::path::Path::new("/dev/shm"));
    for d in 0..240 {
        for f in 0..100 {
            let rel = format!("w/d{d:03}/f{f:03}");
            let path = w.repo.join(&rel);
            if f == 0 {
                fs::create_dir_all(path.parent().unwrap()).unwrap();
            }
            fs::write(path, "").unwrap();
        }
    }
    let each = |ignore: &str| {
        format!(
            "version = 1\n[[link]]\nat = \"~/.w\"\nto = \"w\"\neach = true\nignore = [{ignore}]\n"
        )
    };
    w.manifest(&each(""));
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    let record = w.manifest_state().unwrap().join("ops/00000001.json");
    assert!(
        fs::metadata(&record).unwrap().len() > 2 << 20,
        "the record is not large"
    );
    let counts = |w: &World| {
        let plan = w.run(&["plan", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&plan.raw_stdout).unwrap();
        let mut counts = std::collections::BTreeMap::new();
        for e in v["entries"].as_array().unwrap() {
            *counts
                .entry(e["action"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
        counts
    };
    let all_ok = std::collections::BTreeMap::from([("ok".to_string(), 24_000)]);
    assert_eq!(counts(&w), all_ok);
    // A no-op apply records nothing.
    assert_eq!(w.run(&["apply"]).code, 0);
    assert!(!record.with_file_name("00000002.json").exists());
    // One folder left out: its 100 links are linkfile's, so they go.
    w.manifest(&each("\"d120\""));
    assert_eq!(
        counts(&w),
        std::collections::BTreeMap::from([("ok".to_string(), 23_900), ("remove".to_string(), 100)])
    );
    let before = w.snapshot();
    assert_eq!(w.run(&["apply"]).code, 0);
    assert!(fs::symlink_metadata(w.home.join(".w/d120/f000")).is_err());
    assert!(fs::symlink_metadata(w.home.join(".w/d119/f099")).is_ok());
    let undo = w.run(&["undo"]);
    assert_eq!(undo.code, 0, "{undo:?}");
    assert!(
        w.snapshot() == before,
        "undo did not put the folder's links back"
    );
}
