//! Crash safety of the real binary: `apply` of 2,000 links is killed (SIGKILL, no chance to
//! clean up) at moments spread over a whole run. The next invocation must roll the interrupted
//! operation back — or keep it whole if its record was committed —, no byte of the user's may be
//! lost, no temporary link may stay behind, and a new apply must then finish the job.
//!
//! Making a symlink can be slow on disk filesystems (ext4 right after many deletions: about
//! 0.5 ms here), so the worlds live on tmpfs (/dev/shm) where there is one, and one world is
//! reset between kills rather than built anew.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::harness::{Node, World, snapshot_diff, spawn};
use crate::require_symlinks;

const FOLDERS: usize = 20;
const FILES: usize = 100;
/// Kill moments, spread evenly from 0 to a little past the time a full apply takes.
const MOMENTS: u32 = 28;

/// A repo of `FOLDERS` x `FILES` files, each linked to the same place in the home, and what is in
/// the home before the apply: with `in_the_way`, users' files where links go (moved to the
/// backup store under `--on-conflict backup`); always, links the user made elsewhere (fixed,
/// half to a file of theirs, half dangling) and folders to make.
struct Setup {
    world: World,
    in_the_way: bool,
    /// Relative paths of the links, the same in the home and the repo.
    links: Vec<String>,
    /// Users' files in the way: place, bytes, mode.
    users_files: Vec<(String, Vec<u8>, u32)>,
}

fn rel(d: usize, f: usize) -> String {
    format!("d{d:02}/f{f:03}")
}

impl Setup {
    fn new(in_the_way: bool) -> Setup {
        // On tmpfs where there is one: making thousands of links there takes milliseconds, not
        // seconds, so the kill moments stay many without the test taking minutes.
        let w = World::new_in(Path::new("/dev/shm"));
        let mut manifest = String::from("version = 1\n[links]\n");
        let mut links = Vec::with_capacity(FOLDERS * FILES);
        for d in 0..FOLDERS {
            fs::create_dir(w.repo.join(format!("d{d:02}"))).unwrap();
            for f in 0..FILES {
                let r = rel(d, f);
                fs::write(w.repo.join(&r), format!("{r}\n")).unwrap();
                manifest.push_str(&format!("\"~/{r}\" = \"{r}\"\n"));
                links.push(r);
            }
        }
        w.manifest(&manifest);
        let mut s = Setup {
            world: w,
            in_the_way,
            links,
            users_files: Vec::new(),
        };
        s.reset();
        s
    }

    /// Empties the home and the state, and puts the home's starting state back. Every third
    /// folder holds a user's file where a link goes (if `in_the_way`), the next one a link the
    /// user made, and the third does not exist.
    fn reset(&mut self) {
        let w = &self.world;
        fs::remove_dir_all(&w.home).unwrap();
        fs::create_dir(&w.home).unwrap();
        if w.state.exists() {
            fs::remove_dir_all(&w.state).unwrap();
        }
        self.users_files.clear();
        for d in (0..FOLDERS).step_by(3) {
            let r = rel(d, FILES / 2);
            let at = w.home.join(&r);
            fs::create_dir_all(at.parent().unwrap()).unwrap();
            if !self.in_the_way {
                continue;
            }
            let bytes = format!("the user's own {r}, not the repo's: keep me\n").into_bytes();
            fs::write(&at, &bytes).unwrap();
            fs::set_permissions(&at, fs::Permissions::from_mode(0o600)).unwrap();
            self.users_files.push((r, bytes, 0o600));
        }
        for d in (1..FOLDERS).step_by(3) {
            let text = if d % 2 == 0 {
                w.home_file(&format!("old/{d}"), "an old config\n");
                w.home.join(format!("old/{d}"))
            } else {
                PathBuf::from(format!("/nonexistent/linkfile-crash-test/{d}"))
            };
            w.home_link(&rel(d, FILES / 2 + 1), &text);
        }
    }

    fn spawn_apply(&self) -> Child {
        // Output discarded: hundreds of plan lines could fill an unread pipe and stall the child.
        spawn(
            self.world
                .command(&["apply", "--on-conflict", "backup"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
    }

    /// The whole new state: every place a link with the manifest's text, every user's file
    /// (bytes and mode) in the backup store, and nothing else changed in the home or the repo.
    fn assert_new_state(&self, before: &BTreeMap<String, Node>, ctx: &str) {
        let w = &self.world;
        let mut expected = before.clone();
        for r in &self.links {
            expected.insert(format!("home/{r}"), Node::Link(w.repo.join(r)));
        }
        let now = w.snapshot();
        for d in 0..FOLDERS {
            // The folders apply made (their mode is the umask's).
            let key = format!("home/d{d:02}");
            if let (None, Some(n @ Node::Dir { .. })) = (before.get(&key), now.get(&key)) {
                expected.insert(key, n.clone());
            }
        }
        assert!(
            now == expected,
            "{ctx}: the home is not in the new state:\n{}",
            snapshot_diff(&expected, &now, 20)
        );
        let store = backup_store(w);
        for (r, bytes, mode) in &self.users_files {
            assert!(
                store.contains(&(bytes.clone(), *mode)),
                "{ctx}: the user's {r} is not in the backup store"
            );
        }
    }
}

fn intent(w: &World) -> Option<PathBuf> {
    w.manifest_state()
        .map(|d| d.join("intent.json"))
        .filter(|p| p.exists())
}

fn committed(w: &World) -> bool {
    w.manifest_state().is_some_and(|d| d.join("head").exists())
}

/// Every regular file in the backup store: (bytes, permission bits).
fn backup_store(w: &World) -> HashSet<(Vec<u8>, u32)> {
    fn walk(dir: &Path, out: &mut HashSet<(Vec<u8>, u32)>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                walk(&path, out);
            } else if meta.is_file() {
                out.insert((fs::read(&path).unwrap(), meta.permissions().mode() & 0o7777));
            }
        }
    }
    let mut out = HashSet::new();
    if let Some(d) = w.manifest_state() {
        walk(&d.join("backups"), &mut out);
    }
    out
}

/// Temporary links (`.NAME.linkfile-PID-N.tmp`) anywhere in the home.
fn temp_links(w: &World) -> Vec<String> {
    w.snapshot()
        .into_keys()
        .filter(|k| {
            let name = k.rsplit('/').next().unwrap();
            name.starts_with('.') && name.contains(".linkfile-") && name.ends_with(".tmp")
        })
        .collect()
}

/// Where the kills landed.
#[derive(Debug, Default)]
struct Tally {
    /// Before the intent was written: nothing had changed.
    before: usize,
    /// While the steps ran (intent present, record not committed): rolled back.
    mid: usize,
    /// After the record was committed, before the intent was removed: kept.
    committed: usize,
    /// After the run (or after the intent was removed).
    after: usize,
}

/// How long a full apply takes (the faster of two runs), and from when to when its intent record
/// was seen in that run.
struct Timing {
    full: Duration,
    window: Option<(Duration, Duration)>,
}

/// Times one full apply, then kills applies at `MOMENTS` moments spread over it and checks each.
fn kill_at_moments(in_the_way: bool) {
    let started = Instant::now();
    let mut s = Setup::new(in_the_way);
    let before = s.world.snapshot();
    let timing = time_full_applies(&mut s, &before);
    let mut tally = Tally::default();
    for i in 0..MOMENTS {
        kill_and_check(&mut s, &before, &timing, i, &mut tally);
    }
    let Timing { full, window } = timing;
    eprintln!(
        "crash (in_the_way: {in_the_way}): {} links; a full apply takes {full:?} (intent present \
         {window:?}); {MOMENTS} kills: {} before the intent, {} mid-apply (rolled back), {} after \
         the commit with the intent still there, {} after; {:?} in all",
        FOLDERS * FILES,
        tally.before,
        tally.mid,
        tally.committed,
        tally.after,
        started.elapsed()
    );
    assert!(
        tally.mid >= 3,
        "too few kills landed while the steps ran, the test proves little: {tally:?} (full run \
         {full:?}, intent present {window:?})"
    );
}

/// Two full runs, timed (the faster counts), watching when the intent record exists.
fn time_full_applies(s: &mut Setup, before: &BTreeMap<String, Node>) -> Timing {
    let mut full = Duration::MAX;
    let mut window: Option<(Duration, Duration)> = None;
    for run in 0..2 {
        s.reset();
        let t0 = Instant::now();
        let mut child = s.spawn_apply();
        let mut seen: Option<(Duration, Duration)> = None;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if intent(&s.world).is_some() {
                let t = t0.elapsed();
                seen = Some(seen.map_or((t, t), |(a, _)| (a, t)));
            }
            sleep(Duration::from_micros(500));
        };
        let took = t0.elapsed();
        assert!(status.success(), "full apply {run} failed: {status}");
        s.assert_new_state(before, &format!("full apply {run}"));
        if took < full {
            (full, window) = (took, seen);
        }
    }
    Timing { full, window }
}

/// Kill `i`: an apply killed at its moment, then `recover` must roll it back (or keep it whole if
/// committed), and an apply must then do the whole job.
fn kill_and_check(
    s: &mut Setup,
    before: &BTreeMap<String, Node>,
    timing: &Timing,
    i: u32,
    tally: &mut Tally,
) {
    let Timing { full, window } = *timing;
    // Half the moments over the whole run; half inside the window where it writes: once
    // its intent record appears, after a part of the time the writing took when timed
    // (machine load makes absolute moments unreliable).
    let in_window = window.filter(|_| i % 2 == 1);
    let delay = match in_window {
        Some((from, to)) => (to.saturating_sub(from) + Duration::from_millis(1)) * i / MOMENTS,
        None => full.mul_f64(1.1) * i / (MOMENTS - 1),
    };
    s.reset();
    assert!(s.world.snapshot() == *before, "reset before kill {i}");
    let w = &s.world;
    let mut child = s.spawn_apply();
    let pid = child.id();
    if in_window.is_some() {
        let t0 = Instant::now();
        while intent(w).is_none() && child.try_wait().unwrap().is_none() && t0.elapsed() < full * 20
        {
            sleep(Duration::from_micros(100));
        }
    }
    sleep(delay);
    let _ = child.kill();
    let status = child.wait().unwrap();
    let ctx = format!("kill {i} after {delay:?} ({status})");
    let had_intent = intent(w).is_some();
    let had_record = committed(w);

    // The next writer finishes what the killed one left (read-only commands never do).
    check_recover(w, pid, (had_intent, had_record), &ctx, tally);
    if had_record {
        s.assert_new_state(before, &ctx);
    } else {
        // Every place in its old state, every user's byte where it was.
        let now = w.snapshot();
        assert!(
            now == *before,
            "{ctx}: not rolled back:\n{}",
            snapshot_diff(before, &now, 20)
        );
    }

    // And an apply then does the whole job.
    let r = w.run(&["apply", "--on-conflict", "backup", "--quiet"]);
    assert_eq!(r.code, 0, "{ctx}: {r:?}");
    s.assert_new_state(before, &format!("{ctx}, then apply"));
}

/// `recover` after the kill of process `pid`, which left (intent, committed record): it reports a
/// roll-back exactly when the kill landed mid-apply, and leaves no intent nor temporary link.
fn check_recover(w: &World, pid: u32, left: (bool, bool), ctx: &str, tally: &mut Tally) {
    let plan = w.run(&["recover"]);
    assert_eq!(plan.code, 0, "{ctx}: {plan:?}");
    assert!(!plan.stdout.contains("left in place"), "{ctx}: {plan:?}");
    let recovered =
        format!("Recovered: an interrupted `linkfile apply` (process {pid}) was rolled back.\n");
    if left == (true, false) {
        tally.mid += 1;
        assert!(
            plan.stdout.starts_with(&recovered),
            "{ctx}: no recovery reported:\n{}",
            plan.stdout
        );
    } else {
        match left {
            (false, false) => tally.before += 1,
            (true, true) => tally.committed += 1,
            _ => tally.after += 1,
        }
        assert!(
            !plan.stdout.contains("Recovered"),
            "{ctx}: nothing to recover, yet:\n{}",
            plan.stdout
        );
    }
    assert!(intent(w).is_none(), "{ctx}: the intent is still there");
    let temps = temp_links(w);
    assert!(temps.is_empty(), "{ctx}: temporary links left: {temps:?}");
}

/// Folders to make, links to make, links to fix: every kill is rolled back or kept whole.
#[test]
#[ignore = "slow: .ci/run runs it"]
fn a_killed_apply_is_rolled_back_or_kept_whole() {
    require_symlinks!();
    kill_at_moments(false);
}

/// The same with users' files in the way, moved to the backup store: recovery refuses as soon
/// as one of them had not been moved yet (see the test below).
#[test]
#[ignore = "slow: .ci/run runs it"]
fn a_killed_apply_with_files_in_the_way_is_rolled_back_or_kept_whole() {
    require_symlinks!();
    kill_at_moments(true);
}

/// Stops an in-process apply of `w`'s manifest just before its first step, as a kill there
/// would: its intent record is written and nothing has changed yet.
fn crash_before_the_first_step(w: &World) {
    let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
    let intent_path = session.state.intent_path();
    let mut saved = None;
    let err = session
        .apply(linkfile::command::Command::Apply, None, &mut |_| {
            saved = Some(fs::read(&intent_path)?);
            Err(io::Error::other("killed"))
        })
        .unwrap_err();
    assert!(err.to_string().contains("killed"), "{err}");
    // The in-process rollback removed the intent; a killed process would have left it.
    fs::write(&intent_path, saved.unwrap()).unwrap();
}

/// The smallest case of the bug above: one file in the way of one link, `on_conflict = "backup"`,
/// the run killed after writing its intent (steps: move ~/.a to the store, make the link ~/.a)
/// and before the first step. Recovery undoes every step of the intent newest first, and
/// "undoing" the link that was never made finds the user's file still at ~/.a: it refuses, and
/// every later command exits 1 until `linkfile recover`.
#[test]
#[ignore = "slow: .ci/run runs it"]
fn a_kill_before_a_backup_moved_anything_is_recovered() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("a", "repo's\n");
    w.manifest("version = 1\n[defaults]\non_conflict = \"backup\"\n[links]\n\"~/.a\" = \"a\"\n");
    w.home_file(".a", "mine\n");
    let before = w.snapshot();
    crash_before_the_first_step(&w);
    let plan = w.run(&["recover"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.starts_with("Recovered: "), "{}", plan.stdout);
    assert!(!plan.stdout.contains("left in place"), "{}", plan.stdout);
    assert!(w.snapshot() == before);
}

/// The same bug with `unlink`: its steps remove the link, then move the backup back. Killed
/// before the first step, recovery finds both the backup and the link there and refuses.
#[test]
#[ignore = "slow: .ci/run runs it"]
fn a_kill_before_unlink_restored_anything_is_recovered() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("a", "repo's\n");
    w.manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n");
    w.home_file(".a", "mine\n");
    let r = w.run(&["apply", "--on-conflict", "backup"]);
    assert_eq!(r.code, 0, "{r:?}");
    let before = w.snapshot();
    // The intent `linkfile unlink` writes, as a process killed before its first step leaves it.
    let state = w.manifest_state().unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(state.join("ops/00000001.json")).unwrap())
            .unwrap();
    let stored = record["backups"][0]["stored"].as_str().unwrap();
    let at = w.home.join(".a");
    let intent = serde_json::json!({
        "op": 2,
        "pid": 999_999_999u32,
        "command": "unlink",
        "steps": [
            {"step": "remove-link", "at": at, "text": w.repo.join("a"), "kind": "file"},
            {"step": "move", "from": stored, "to": at},
        ],
    });
    fs::write(state.join("intent.json"), intent.to_string()).unwrap();
    let plan = w.run(&["recover"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.starts_with("Recovered: "), "{}", plan.stdout);
    assert!(!plan.stdout.contains("left in place"), "{}", plan.stdout);
    assert!(w.snapshot() == before);
}
