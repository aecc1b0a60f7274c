//! Races against a running apply (issue 10, points 3 and 4): a folder on the way swapped for a
//! link while links are made in it, and an editor saving a file by rename over the link being
//! fixed. Nothing may be written through the link, no save may be lost, and what apply says
//! must be true.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{Node, World, snapshot_of, spawn};
use crate::require_symlinks;

/// Where the swapped folder's link leads.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Into {
    /// A folder of someone else's, outside the home and the repo.
    OtherTree,
    /// The repo itself.
    Repo,
}

/// A world whose manifest links `~/.cfg/dNN/fNNN` to `cfg/dNN/fNNN`, `n` files a hundred to a
/// folder; `~/.cfg` is the user's folder, holding a file of theirs, and its subfolders are made
/// by apply (a step between the links, as a backup or a fix would be).
fn cfg_world(n: usize) -> World {
    let w = World::new_in(Path::new("/dev/shm"));
    let mut manifest = String::from("version = 1\n[links]\n");
    for i in 0..n {
        let rel = format!("d{:02}/f{:03}", i / 100, i % 100);
        w.repo_file(&format!("cfg/{rel}"), &format!("{i}\n"));
        manifest.push_str(&format!("\"~/.cfg/{rel}\" = \"cfg/{rel}\"\n"));
    }
    w.manifest(&manifest);
    w.home_file(".cfg/mine", "the user's own file\n");
    fs::create_dir(w.root.join("other")).unwrap();
    w
}

/// Moves `~/.cfg` to `moved` and puts a link in its place.
fn swap_cfg(w: &World, moved: &Path, into: Into) {
    fs::rename(w.home.join(".cfg"), moved).unwrap();
    let target = match into {
        Into::OtherTree => w.root.join("other"),
        Into::Repo => w.repo.clone(),
    };
    std::os::unix::fs::symlink(target, w.home.join(".cfg")).unwrap();
}

/// The links below `dir` (names).
fn links_in(dir: &Path) -> Vec<String> {
    snapshot_of(dir)
        .into_iter()
        .filter(|(_, n)| matches!(n, Node::Link(_)))
        .map(|(k, _)| k)
        .collect()
}

/// After a swap: nothing in the other tree, the repo as it was, and the moved folder holding
/// exactly the user's file or, when `complete`, every link too.
fn assert_nothing_through(
    w: &World,
    moved: &Path,
    repo_before: &BTreeMap<String, Node>,
    ctx: &str,
) {
    let other = snapshot_of(&w.root.join("other"));
    assert!(
        other.is_empty(),
        "{ctx}: written through the link: {other:?}"
    );
    let repo = snapshot_of(&w.repo);
    assert!(
        repo == *repo_before,
        "{ctx}: the repo changed:\n{}",
        crate::harness::snapshot_diff(repo_before, &repo, 10)
    );
    assert_eq!(
        fs::read_to_string(moved.join("mine")).unwrap(),
        "the user's own file\n",
        "{ctx}"
    );
}

/// Applies [`cfg_world`]`(n)`, swapping `~/.cfg` for a link into `into` before the step
/// `swap_now` picks (it is asked before every step): nothing is written through the link, the
/// rollback takes back every link from the folder it was made in and says so truthfully, and
/// the user's swap is left, with no intent. Returns the error's message.
fn swap_cfg_mid_apply(
    n: usize,
    into: Into,
    ctx: &str,
    mut swap_now: impl FnMut(&linkfile::apply::Step) -> bool + Send,
) -> String {
    let w = cfg_world(n);
    let repo_before = snapshot_of(&w.repo);
    let moved = w.root.join("moved");
    let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
    let err = session
        .apply(linkfile::command::Command::Apply, None, &mut |step| {
            if swap_now(step) {
                swap_cfg(&w, &moved, into);
            }
            Ok(())
        })
        .expect_err(ctx);
    let msg = err.to_string();
    assert_nothing_through(&w, &moved, &repo_before, ctx);
    assert!(msg.contains("nothing was changed"), "{ctx}: {msg}");
    let left: Vec<String> = snapshot_of(&moved).into_keys().collect();
    assert_eq!(left, ["mine"], "{ctx}: {msg}");
    assert!(
        fs::symlink_metadata(w.home.join(".cfg"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "{ctx}"
    );
    assert!(
        w.manifest_state()
            .is_none_or(|d| !d.join("intent.json").exists()),
        "{ctx}: the intent stayed"
    );
    msg
}

#[test]
fn a_folder_swapped_for_a_link_during_apply_is_never_written_through() {
    require_symlinks!();
    // Steps: make d00, 100 links, make d01, 50 links.
    for into in [Into::OtherTree, Into::Repo] {
        // Before the first step, the first link, in the middle, before and after making the
        // second folder, before the last link.
        for k in [0, 1, 50, 101, 102, 151] {
            let ctx = format!("swap into {into:?} before step {k}");
            let mut n = 0;
            let msg = swap_cfg_mid_apply(150, into, &ctx, |_| {
                n += 1;
                n - 1 == k
            });
            assert!(msg.contains(".cfg"), "{ctx}: {msg}");
        }
    }
}

/// As above with 700 links, which several threads make at once (`src/apply/batch.rs`): the
/// swap comes while another thread may be writing in another folder. Nothing is written
/// through the link, and every link made, by whichever thread, is taken back from the folder
/// it was made in.
#[test]
fn a_folder_swapped_while_threads_make_links_is_never_written_through() {
    require_symlinks!();
    for into in [Into::OtherTree, Into::Repo] {
        // Before a folder, the first link, a link in the middle, the last link.
        for place in [
            ".cfg/d03",
            ".cfg/d00/f000",
            ".cfg/d03/f050",
            ".cfg/d06/f099",
        ] {
            let ctx = format!("swap into {into:?} before {place}");
            // The world's home is made inside the helper: the place is matched by its end.
            let place = Path::new(place);
            swap_cfg_mid_apply(700, into, &ctx, |step| step.place().ends_with(place));
        }
    }
}

/// The folder `~/.cfg/d03`, made by apply, swapped for a link while a thread makes links in it
/// (a folder only that thread walked to): every link made in it is taken back through the
/// folder it was made in, and nothing is written through the link.
#[test]
fn a_folder_swapped_under_one_thread_is_rolled_back_through_that_thread() {
    require_symlinks!();
    const N: usize = 700;
    for into in [Into::OtherTree, Into::Repo] {
        for place in [".cfg/d03/f050", ".cfg/d03/f099"] {
            let ctx = format!("swap d03 into {into:?} before {place}");
            let w = cfg_world(N);
            let repo_before = snapshot_of(&w.repo);
            let moved = w.root.join("moved");
            let at = w.home.join(place);
            let d03 = w.home.join(".cfg/d03");
            let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
            let err = session
                .apply(linkfile::command::Command::Apply, None, &mut |step| {
                    if step.place() == at {
                        fs::rename(&d03, &moved).unwrap();
                        let target = match into {
                            Into::OtherTree => w.root.join("other"),
                            Into::Repo => w.repo.clone(),
                        };
                        std::os::unix::fs::symlink(target, &d03).unwrap();
                    }
                    Ok(())
                })
                .expect_err(&ctx);
            let msg = err.to_string();
            assert!(msg.contains("nothing was changed"), "{ctx}: {msg}");
            let other = snapshot_of(&w.root.join("other"));
            assert!(other.is_empty(), "{ctx}: written through: {other:?}");
            assert!(
                snapshot_of(&w.repo) == repo_before,
                "{ctx}: the repo changed"
            );
            let left = snapshot_of(&moved);
            assert!(left.is_empty(), "{ctx}: left in the moved folder: {left:?}");
            // The rest of the home as before: the user's file and the link they put.
            let home: Vec<String> = snapshot_of(&w.home).into_keys().collect();
            assert_eq!(home, [".cfg", ".cfg/d03", ".cfg/mine"], "{ctx}");
            assert!(
                w.manifest_state()
                    .is_none_or(|d| !d.join("intent.json").exists()),
                "{ctx}: the intent stayed"
            );
        }
    }
}

/// Resets the world of [`cfg_world`] to before the apply: the user's folder, no history.
fn reset_cfg(w: &World) {
    let _ = fs::remove_dir_all(&w.home);
    let _ = fs::remove_dir_all(&w.state);
    for d in ["other", "moved"] {
        let _ = fs::remove_dir_all(w.root.join(d));
    }
    fs::create_dir(w.root.join("other")).unwrap();
    w.home_file(".cfg/mine", "the user's own file\n");
}

/// Starts `linkfile apply` and waits for its intent record; returns the child and the moment
/// the intent appeared.
fn apply_until_intent(w: &World) -> (std::process::Child, Instant) {
    let child = spawn(
        w.command(&["apply"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let t0 = Instant::now();
    while !w
        .manifest_state()
        .is_some_and(|d| d.join("intent.json").exists())
    {
        assert!(t0.elapsed() < Duration::from_secs(10), "no intent appeared");
        std::hint::spin_loop();
    }
    (child, Instant::now())
}

/// The real binary applying 3,000 links while the test swaps `~/.cfg` for a link once the
/// intent appears, at moments spread over the writing (timed once first): up to 20 rounds,
/// alternating where the link leads, as many as fit in 15 s (at least 4).
#[test]
#[ignore = "slow: .ci/run runs it"]
fn a_folder_swapped_while_a_child_applies_is_never_written_through() {
    require_symlinks!();
    const N: usize = 3000;
    const ROUNDS: u32 = 20;
    // Moments as tenths of the writing time, the spread filled in early.
    const TENTHS: [u32; 10] = [0, 5, 2, 7, 4, 9, 1, 6, 3, 8];
    let started = Instant::now();
    let w = cfg_world(N);
    let repo_before = snapshot_of(&w.repo);
    // How long the writing takes, from the intent to the exit.
    reset_cfg(&w);
    let (child, t0) = apply_until_intent(&w);
    assert!(child.wait_with_output().unwrap().status.success());
    let writing = t0.elapsed();
    let mut outcomes = BTreeMap::new();
    let mut raced = 0;
    for round in 0..ROUNDS {
        if round >= 4 && started.elapsed() > Duration::from_secs(15) {
            break;
        }
        let into = if round % 2 == 0 {
            Into::OtherTree
        } else {
            Into::Repo
        };
        reset_cfg(&w);
        let moved = w.root.join("moved");
        let delay = writing * TENTHS[(round / 2) as usize] / 10;
        let ctx = format!("swap into {into:?}, round {round}, after {delay:?} of {writing:?}");
        let (mut child, t0) = apply_until_intent(&w);
        while t0.elapsed() < delay {
            std::hint::spin_loop();
        }
        // Only a swap before the child has finished tests anything.
        raced += usize::from(child.try_wait().unwrap().is_none());
        swap_cfg(&w, &moved, into);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_nothing_through(&w, &moved, &repo_before, &ctx);
        let made = links_in(&moved);
        match out.status.code() {
            // The swap came after the apply checked its folders: every link is made, in the
            // folder that was ~/.cfg.
            Some(0) => assert_eq!(made.len(), N, "{ctx}"),
            Some(1) if stderr.contains("nothing was changed") => {
                let left: Vec<String> = snapshot_of(&moved).into_keys().collect();
                assert_eq!(left, ["mine"], "{ctx}: {stderr}")
            }
            // Whatever could not be undone is named.
            Some(1) => {
                assert!(stderr.contains("could not undo"), "{ctx}: {stderr}");
                for m in &made {
                    assert!(
                        stderr.contains(m.as_str()),
                        "{ctx}: {m} not named: {stderr}"
                    );
                }
            }
            other => panic!("{ctx}: exit {other:?}: {stderr}"),
        }
        *outcomes.entry(out.status.code()).or_insert(0) += 1;
    }
    eprintln!(
        "outcomes (exit code: rounds): {outcomes:?}, {raced} swapped while the child ran, in \
         {:?}",
        started.elapsed()
    );
    assert!(
        raced >= 2,
        "only {raced} swaps came before the child finished: the race hardly happened"
    );
}

/// An editor saving `~/.x` by rename (write a temporary file, rename it over) while linkfile
/// fixes the link there, 300 times at moments around the fix: no save is ever lost. The editor
/// spins on another thread and saves a few microseconds after the fix step starts (the apply's
/// hook tells it when), at moments spread over the step.
#[test]
#[ignore = "slow: .ci/run runs it"]
fn a_save_racing_a_fix_is_never_lost() {
    require_symlinks!();
    const ROUNDS: u32 = 300;
    let started = Instant::now();
    let w = World::new_in(Path::new("/dev/shm"));
    w.repo_file("x", "the repo's x\n");
    w.manifest("version = 1\n[links]\n\"~/.x\" = \"x\"\n");
    let at = w.home.join(".x");

    // The round the editor is to save in, once the fix step starts (0: none yet).
    let go = Arc::new(AtomicU32::new(0));
    let saved = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let editor = spawn_editor(
        at.clone(),
        w.home.join(".x.editor-tmp"),
        go.clone(),
        saved.clone(),
        stop.clone(),
    );

    let (mut fixed, mut conflicts) = (0, 0);
    for round in 1..=ROUNDS {
        let _ = fs::remove_file(&at);
        std::os::unix::fs::symlink(format!("/nonexistent/old-{round}"), &at).unwrap();
        let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
        let result = session.apply(linkfile::command::Command::Apply, None, &mut |_| {
            go.store(round, Ordering::SeqCst);
            Ok(())
        });
        let t0 = Instant::now();
        while saved.load(Ordering::SeqCst) != round {
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "round {round}: no save"
            );
            std::hint::spin_loop();
        }
        if save_kept_after(&w, &at, round, &result) {
            fixed += 1;
        } else {
            conflicts += 1;
        }
    }
    stop.store(true, Ordering::SeqCst);
    editor.join().unwrap();
    eprintln!("{fixed} fixed before the save, {conflicts} conflicts");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

/// The editor: once `go` holds its round, it writes `save {round}` to `temp` and renames it over
/// `at` a few microseconds later (more each round, up to 25), then stores the round in `saved`;
/// until `stop`.
fn spawn_editor(
    at: PathBuf,
    temp: PathBuf,
    go: Arc<AtomicU32>,
    saved: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut round = 1;
        while !stop.load(Ordering::SeqCst) {
            if go.load(Ordering::SeqCst) != round {
                std::hint::spin_loop();
                continue;
            }
            fs::write(&temp, format!("save {round}\n")).unwrap();
            let delay = Duration::from_nanos(u64::from(round % 25) * 1_500);
            let t0 = Instant::now();
            while t0.elapsed() < delay {
                std::hint::spin_loop();
            }
            fs::rename(&temp, &at).unwrap();
            saved.store(round, Ordering::SeqCst);
            round += 1;
        }
    })
}

/// After round `round`'s apply (`result`) and save: the save is at `at`, no temporary link stays
/// beside it, no intent. True if the apply fixed the link (before the save), false if it found a
/// change while applying.
fn save_kept_after<T: std::fmt::Debug, E: std::fmt::Debug + std::fmt::Display>(
    w: &World,
    at: &Path,
    round: u32,
    result: &Result<T, E>,
) -> bool {
    let ctx = format!("round {round}: {result:?}");
    let now = fs::symlink_metadata(at).unwrap();
    assert!(
        now.is_file(),
        "{ctx}: the save was lost, {} is there",
        fs::read_link(at).map_or("something".into(), |t| format!("a link to {t:?}"))
    );
    assert_eq!(
        fs::read_to_string(at).unwrap(),
        format!("save {round}\n"),
        "{ctx}"
    );
    let fixed = match result {
        Ok(_) => true,
        Err(e) => {
            assert!(e.to_string().contains("changed while applying"), "{ctx}");
            false
        }
    };
    let left: Vec<PathBuf> = fs::read_dir(&w.home)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".linkfile-"))
        .collect();
    assert!(left.is_empty(), "{ctx}: {left:?}");
    assert!(
        w.manifest_state()
            .is_none_or(|d| !d.join("intent.json").exists()),
        "{ctx}: the intent stayed"
    );
    fixed
}

/// A run killed mid-apply (here: a panic in the hook leaves its intent behind), then the folder
/// swapped for a link before the next run recovers: recovery never writes through the link, and
/// says what it left in place.
#[test]
fn recovery_never_writes_through_a_folder_swapped_since_the_crash() {
    require_symlinks!();
    for into in [Into::OtherTree, Into::Repo] {
        let ctx = format!("swap into {into:?}");
        let w = cfg_world(20);
        let repo_before = snapshot_of(&w.repo);
        let moved = w.root.join("moved");
        let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
        let mut n = 0;
        let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            session.apply(linkfile::command::Command::Apply, None, &mut |_| {
                n += 1;
                assert!(n <= 10, "killed");
                Ok(())
            })
        }));
        assert!(crashed.is_err(), "{ctx}");
        drop(session);
        assert_eq!(links_in(&w.home.join(".cfg")).len(), 9, "{ctx}");
        swap_cfg(&w, &moved, into);

        let run = w.run(&["apply"]);
        assert_eq!(run.code, 1, "{ctx}: {run:?}");
        assert!(
            run.stderr.contains("could not be rolled back"),
            "{ctx}: {run:?}"
        );
        let run = w.run(&["recover"]);
        assert_eq!(run.code, 0, "{ctx}: {run:?}");
        assert_nothing_through(&w, &moved, &repo_before, &ctx);
        // The links made before the crash are where they were made, and each is named.
        let made = links_in(&moved);
        assert_eq!(made.len(), 9, "{ctx}");
        for m in &made {
            assert!(
                run.stdout
                    .contains(&format!("left in place: [HOME]/.cfg/{m}")),
                "{ctx}: {m}: {}",
                run.stdout
            );
        }
    }
}
