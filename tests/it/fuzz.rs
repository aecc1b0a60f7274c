//! The fuzz targets' bodies (`fuzz/bodies.rs`, which `cargo +nightly fuzz run` drives for long
//! campaigns) as bounded randomized tests, so that every CI run fuzzes a little: any bytes and
//! mutated manifests (the examples', the README's, the hostile corpus's) through parse and
//! resolve; random places through the planner; and mutated example manifests through a whole
//! in-process `plan` in a copy of the example's repo, each run bounded in time. No panic, no
//! hang, every error inside the text with a hint, nothing written.

use std::fs;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::harness::World;

#[path = "../../fuzz/bodies.rs"]
mod bodies;

fn config(cases: u32) -> Config {
    Config {
        cases,
        // Failures are reported with the case; no regression files in the tree.
        failure_persistence: None,
        ..Config::default()
    }
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

/// The hostile corpus's manifests, to mutate further.
fn corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_manifests");
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn any_bytes_parse_and_resolve_without_panic(data in bytes(400)) {
        bodies::manifest(&data);
    }

    #[test]
    fn mutated_manifests_parse_and_resolve_without_panic(data in bytes(64)) {
        let mut marked = vec![0xFF];
        marked.extend(data);
        bodies::manifest(&marked);
    }

    #[test]
    fn the_planner_keeps_its_promises(data in bytes(400)) {
        bodies::planner(&data);
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn mutated_hostile_manifests_parse_and_resolve_without_panic(
        pick in any::<prop::sample::Index>(),
        data in bytes(64),
    ) {
        let corpus = corpus();
        let seed = pick.get(&corpus);
        bodies::check_manifest(&bodies::mutate(seed, &mut bodies::Choices::new(&data)));
    }
}

/// The corpus as it is: each error points inside its manifest and has a hint.
#[test]
fn every_hostile_manifest_error_points_inside_it_with_a_hint() {
    for text in corpus() {
        bodies::check_manifest(&text);
    }
    for seed in bodies::seeds() {
        bodies::check_manifest(seed);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Long enough for a debug build on a busy machine; a hang is minutes.
const PLAN_TIME_LIMIT: Duration = Duration::from_secs(30);

/// `linkfile plan ARGS` on `text` in a world holding a copy of the example repo `example`;
/// fails on a panic, a run longer than [`PLAN_TIME_LIMIT`], an exit code other than 0 or 1, an
/// error without a message or a write.
fn plan_mutated(example: &str, text: String, args: &'static [&'static str]) {
    let mut w = World::new();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(example),
        &w.repo,
    );
    w.set_env("EDITOR", "vim");
    w.manifest(&text);
    let before = w.snapshot();
    let (tx, rx) = mpsc::channel();
    // A thread of its own, so that a hang is reported instead of waited for.
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.run(args)));
        let _ = tx.send((w, r));
    });
    let (w, r) = match rx.recv_timeout(PLAN_TIME_LIMIT) {
        Ok(done) => done,
        Err(_) => panic!("plan {args:?} ran over {PLAN_TIME_LIMIT:?} on:\n{text:?}"),
    };
    let r = r.unwrap_or_else(|_| panic!("plan {args:?} panicked on:\n{text:?}"));
    assert!(r.code <= 1, "exit {} on:\n{text:?}\n{r:?}", r.code);
    if r.code == 1 {
        assert!(r.stderr.starts_with("error"), "{text:?}\n{r:?}");
    } else if args.contains(&"--json") {
        serde_json::from_str::<serde_json::Value>(&r.raw_stdout).expect("plan --json is JSON");
    }
    assert_eq!(w.snapshot(), before, "plan wrote on:\n{text:?}");
}

proptest! {
    #![proptest_config(config(150))]

    /// Mutated example manifests through the whole `plan`, in-process.
    #[test]
    fn mutated_example_manifests_plan_without_panic_hang_or_write(
        which in 0..3usize,
        args in prop::sample::select(vec![&["plan"][..], &["plan", "--json"], &["-v", "plan"]]),
        data in bytes(64),
    ) {
        let (example, seed) = match which {
            0 => ("dotfiles", bodies::EXAMPLES[0]),
            1 => ("multi-machine", bodies::EXAMPLES[1]),
            _ => ("dotfiles", bodies::readme_manifest()),
        };
        let text = bodies::mutate(seed, &mut bodies::Choices::new(&data));
        plan_mutated(example, text, args);
    }
}
