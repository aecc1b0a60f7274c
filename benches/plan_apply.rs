//! linkfile against the bare syscalls it cannot avoid, on a 10,000-link manifest.
//!
//! Run with `cargo bench --bench plan_apply`. Three cases, each timed in-process through
//! [`linkfile::run`] and compared with a bare Rust loop doing the minimum for the same links:
//!
//! - plan, all links correct: baseline is one `symlink_metadata` + one `read_link` per link;
//! - the same plan from one `each = true` entry over the repo's 100 folders (`each.toml`):
//!   baseline is one `read_dir` per folder, then the plan's loop;
//! - apply into an empty home: baseline is one `create_dir` per folder + one `symlink` per link.
//!
//! Baseline (A) and linkfile (B) runs are interleaved ABAB... after warm-up rounds, and the
//! medians are compared. Nothing is deleted until the end: every apply run gets its own empty
//! home, made up front. (On ext4 without a journal, inodes freed in the last minutes make new
//! inode allocations scan past them, `recently_deleted()` in the kernel; deleting 10,000 links
//! between runs made the next run up to 40 times slower, depending on where its inodes landed.
//! The same holds for a run started minutes after the previous one cleaned up: the bench warns
//! when rounds vary more than twofold.)
//!
//! Afterwards, when `strace` is on the PATH, the release binary is run under `strace -f -c`: for
//! an apply into an empty home (there must be no per-link fsync), and for the two plans (the
//! `each` walk must add at most one `readdir` per folder).
//!
//! Environment:
//! - `LINKFILE_BENCH_KEEP=DIR`: generate the fixture in DIR (new or empty) and leave it there
//!   (`DIR/repo/linkfile.toml`, `DIR/home-plan` with every link made).
//! - `LINKFILE_BENCH_DIR=DIR`: make the temp dir inside DIR instead of the system's temp dir
//!   (e.g. `/dev/shm` to measure on tmpfs, without the disk).
//! - `LINKFILE_BENCH_ROUNDS=PLAN,APPLY`: measured rounds (default 15,10).

use std::fmt::Write as _;
use std::fs;
use std::hint::black_box;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const FOLDERS: usize = 100;
const FILES: usize = 100;
const WARMUP: usize = 2;
const PLAN_TARGET: f64 = 1.0;
const APPLY_TARGET: f64 = 1.5;

/// The generated repo and the paths every run uses.
struct Fixture {
    root: PathBuf,
    repo: PathBuf,
    manifest: PathBuf,
    /// The same links, from one `each = true` entry over the whole repo.
    each_manifest: PathBuf,
    /// Folders of the links, relative to a home (`d000` ...).
    folders: Vec<String>,
    /// Links relative to a home (`d000/f000` ...) and the absolute text each must hold.
    links: Vec<(String, PathBuf)>,
}

impl Fixture {
    fn generate(root: &Path) -> io::Result<Fixture> {
        let repo = root.join("repo");
        fs::create_dir_all(&repo)?;
        let mut manifest_text = String::from("version = 1\n\n[links]\n");
        let mut folders = Vec::with_capacity(FOLDERS);
        let mut links = Vec::with_capacity(FOLDERS * FILES);
        for d in 0..FOLDERS {
            let folder = format!("d{d:03}");
            fs::create_dir_all(repo.join(&folder))?;
            for f in 0..FILES {
                let rel = format!("{folder}/f{f:03}");
                let original = repo.join(&rel);
                fs::write(&original, format!("{rel}\n"))?;
                writeln!(manifest_text, "\"~/{rel}\" = \"{rel}\"").unwrap();
                links.push((rel, original));
            }
            folders.push(folder);
        }
        let manifest = repo.join("linkfile.toml");
        fs::write(&manifest, manifest_text)?;
        let each_manifest = repo.join("each.toml");
        fs::write(
            &each_manifest,
            "version = 1\n\n[[link]]\nat = \"~\"\nto = \".\"\neach = true\nignore = [\"*.toml\"]\n",
        )?;
        Ok(Fixture {
            root: root.to_path_buf(),
            repo,
            manifest,
            each_manifest,
            folders,
            links,
        })
    }

    fn ats(&self, home: &Path) -> Vec<PathBuf> {
        self.links.iter().map(|(rel, _)| home.join(rel)).collect()
    }

    fn args(&self, home: &Path, command: &str) -> Vec<String> {
        self.args_for(&self.manifest, home, command)
    }

    fn args_for(&self, manifest: &Path, home: &Path, command: &str) -> Vec<String> {
        vec![
            "linkfile".into(),
            "--home".into(),
            home.display().to_string(),
            "-m".into(),
            manifest.display().to_string(),
            command.into(),
        ]
    }

    /// A new empty home (never reused: see the module docs on deleting).
    fn fresh_home(&self, name: &str) -> PathBuf {
        let home = self.root.join(name);
        fs::create_dir(&home).expect("make home (its name must be new)");
        home
    }
}

fn system(cwd: &Path) -> linkfile::System {
    linkfile::System {
        env: Box::new(|_| None),
        cwd: cwd.to_path_buf(),
        stdout_is_terminal: false,
        stderr_is_terminal: false,
        host: "linkfile-test".into(),
        stdout_palette: linkfile::color::Palette::PLAIN,
        stderr_palette: linkfile::color::Palette::PLAIN,
        exits_after_run: false,
    }
}

fn run_linkfile(args: &[String], sys: &linkfile::System) -> u8 {
    let mut out = io::sink();
    let mut err = io::sink();
    linkfile::run(args, sys, &mut out, &mut err)
}

/// Baseline for plan: what any checker must at least ask of each link's place.
fn baseline_plan(ats: &[PathBuf]) {
    for at in ats {
        let meta = fs::symlink_metadata(at).expect("symlink_metadata");
        let text = fs::read_link(at).expect("read_link");
        black_box((meta, text));
    }
}

/// Baseline for a plan from `each`: one `read_dir` per repo folder, then the plan's loop.
fn baseline_plan_each(fx: &Fixture, ats: &[PathBuf]) {
    for folder in std::iter::once(&fx.repo).chain(
        &fx.folders
            .iter()
            .map(|f| fx.repo.join(f))
            .collect::<Vec<_>>(),
    ) {
        for e in fs::read_dir(folder).expect("read_dir") {
            black_box(e.expect("entry").file_type().expect("file type"));
        }
    }
    baseline_plan(ats);
}

/// Baseline for apply: the folders, then one symlink per link.
fn baseline_apply(fx: &Fixture, home: &Path) {
    for folder in &fx.folders {
        fs::create_dir(home.join(folder)).expect("create_dir");
    }
    for (rel, text) in &fx.links {
        std::os::unix::fs::symlink(text, home.join(rel)).expect("symlink");
    }
}

/// Writes what the setup left dirty back to disk first, so that the kernel's writeback does not
/// take a core while the rounds are timed (linkfile reads on two threads, the baseline on one).
fn settle() {
    let _ = Command::new("sync").status();
}

fn time<F: FnOnce()>(f: F) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// Median, min and max of `samples`, in milliseconds.
fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let n = samples.len();
    let mid = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(mid), ms(samples[0]), ms(samples[n - 1]))
}

struct Row {
    case: &'static str,
    rounds: usize,
    baseline: Vec<Duration>,
    linkfile: Vec<Duration>,
    target: f64,
}

/// Runs the baseline and linkfile (`args`, which must succeed) alternately, `WARMUP` rounds
/// first; the measured times of each.
fn interleave(
    rounds: usize,
    baseline: impl Fn(),
    args: &[String],
    sys: &linkfile::System,
) -> (Vec<Duration>, Vec<Duration>) {
    let (mut base, mut ours) = (Vec::new(), Vec::new());
    for round in 0..WARMUP + rounds {
        let a = time(&baseline);
        let mut code = 0;
        let b = time(|| code = run_linkfile(args, sys));
        assert_eq!(code, 0, "linkfile {args:?} failed");
        if round >= WARMUP {
            base.push(a);
            ours.push(b);
        }
    }
    (base, ours)
}

fn bench_plan(fx: &Fixture, rounds: usize) -> Row {
    let home = fx.fresh_home("home-plan");
    let sys = system(&fx.root);
    assert_eq!(
        run_linkfile(&fx.args(&home, "apply"), &sys),
        0,
        "setup apply"
    );
    settle();
    let ats = fx.ats(&home);
    let args = fx.args(&home, "plan");
    let (base, ours) = interleave(rounds, || baseline_plan(&ats), &args, &sys);
    Row {
        case: "plan, all links correct",
        rounds,
        baseline: base,
        linkfile: ours,
        target: PLAN_TARGET,
    }
}

/// The plan of the same 10,000 right links, from one `each` entry (after [`bench_plan`]).
fn bench_plan_each(fx: &Fixture, rounds: usize) -> Row {
    let home = fx.root.join("home-plan");
    let sys = system(&fx.root);
    let check = fx.args_for(&fx.each_manifest, &home, "plan");
    let mut exit_code = check.clone();
    exit_code.push("--exit-code".into());
    assert_eq!(
        run_linkfile(&exit_code, &sys),
        0,
        "the each plan must find every link right"
    );
    let ats = fx.ats(&home);
    let (base, ours) = interleave(rounds, || baseline_plan_each(fx, &ats), &check, &sys);
    Row {
        case: "plan, each over 100 dirs",
        rounds,
        baseline: base,
        linkfile: ours,
        target: PLAN_TARGET,
    }
}

fn bench_apply(fx: &Fixture, rounds: usize) -> Row {
    let sys = system(&fx.root);
    // Every run's empty home is made up front, outside the timed region, and kept to the end.
    let homes: Vec<(PathBuf, PathBuf)> = (0..WARMUP + rounds)
        .map(|i| {
            (
                fx.fresh_home(&format!("home-apply-base-{i:02}")),
                fx.fresh_home(&format!("home-apply-linkfile-{i:02}")),
            )
        })
        .collect();
    settle();
    let (mut base, mut ours) = (Vec::new(), Vec::new());
    for (round, (base_home, home)) in homes.iter().enumerate() {
        let a = time(|| baseline_apply(fx, base_home));
        let args = fx.args(home, "apply");
        let mut code = 0;
        let b = time(|| code = run_linkfile(&args, &sys));
        assert_eq!(code, 0, "linkfile apply failed");
        let check = fx.links.last().expect("links");
        assert_eq!(fs::read_link(home.join(&check.0)).expect("made"), check.1);
        if round >= WARMUP {
            base.push(a);
            ours.push(b);
        }
    }
    Row {
        case: "apply into an empty home",
        rounds,
        baseline: base,
        linkfile: ours,
        target: APPLY_TARGET,
    }
}

/// Runs the release binary under `strace -f -c` for an apply into an empty home and prints the
/// counts of the syscalls that matter.
fn strace_apply(fx: &Fixture) {
    const WANTED: [&str; 12] = [
        "fsync",
        "fdatasync",
        "symlink",
        "symlinkat",
        "readlink",
        "readlinkat",
        "mkdir",
        "mkdirat",
        "getdents64",
        "statx",
        "newfstatat",
        "lstat",
    ];
    let bin = Path::new(env!("CARGO_BIN_EXE_linkfile"));
    let home = fx.fresh_home("home-strace");
    let out_file = fx.root.join("strace.txt");
    let mut cmd = Command::new("strace");
    cmd.arg("-f")
        .arg("-c")
        .arg("-o")
        .arg(&out_file)
        .arg(bin)
        .args(&fx.args(&home, "apply")[1..]);
    let shown = format!(
        "strace -f -c -o {} {} --home {} -m {} apply",
        out_file.display(),
        bin.display(),
        home.display(),
        fx.manifest.display()
    );
    println!("\nsyscalls of one apply into an empty home:\n  {shown}");
    let status = match cmd.stdout(std::process::Stdio::null()).status() {
        Ok(s) => s,
        Err(e) => {
            println!("  skipped: cannot run strace ({e}); install it with apt-get install strace");
            return;
        }
    };
    if !status.success() {
        println!("  skipped: strace or linkfile failed ({status})");
        return;
    }
    let report = fs::read_to_string(&out_file).expect("strace output");
    // Rows: % time, seconds, usecs/call, calls, [errors], syscall.
    let mut counts = std::collections::BTreeMap::new();
    for line in report.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 5 || cols[0].parse::<f64>().is_err() {
            continue;
        }
        let name = cols[cols.len() - 1];
        let errors = if cols.len() == 6 { cols[4] } else { "0" };
        if let Ok(calls) = cols[3].parse::<u64>() {
            counts.insert(name.to_string(), (calls, errors.to_string()));
        }
    }
    println!("  {:<12} {:>8} {:>8}", "syscall", "calls", "errors");
    for name in WANTED {
        let (calls, errors) = counts.get(name).cloned().unwrap_or((0, "0".into()));
        println!("  {name:<12} {calls:>8} {errors:>8}");
    }
    let total = counts.get("total").map_or(0, |c| c.0);
    println!("  {:<12} {total:>8}", "(all)");
    let made = fx.links.last().expect("links");
    assert_eq!(fs::read_link(home.join(&made.0)).expect("made"), made.1);
}

/// Runs the release binary under `strace -f -c` with `args`; the count of each syscall.
fn strace_counts(
    fx: &Fixture,
    args: &[String],
    name: &str,
) -> Option<std::collections::BTreeMap<String, u64>> {
    let out_file = fx.root.join(format!("strace-{name}.txt"));
    let status = Command::new("strace")
        .arg("-f")
        .arg("-c")
        .arg("-o")
        .arg(&out_file)
        .arg(env!("CARGO_BIN_EXE_linkfile"))
        .args(&args[1..])
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let report = fs::read_to_string(&out_file).ok()?;
    let mut counts = std::collections::BTreeMap::new();
    for line in report.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 5 || cols[0].parse::<f64>().is_err() {
            continue;
        }
        if let Ok(calls) = cols[3].parse::<u64>() {
            counts.insert(cols[cols.len() - 1].to_string(), calls);
        }
    }
    Some(counts)
}

/// The syscalls of the two plans: the `each` walk may add at most one readdir per folder.
fn strace_plans(fx: &Fixture) {
    let home = fx.root.join("home-plan");
    let plain = strace_counts(fx, &fx.args(&home, "plan"), "plan");
    let each = strace_counts(
        fx,
        &fx.args_for(&fx.each_manifest, &home, "plan"),
        "plan-each",
    );
    let (Some(plain), Some(each)) = (plain, each) else {
        println!(
            "
syscalls of the plans: skipped (strace missing or failed)"
        );
        return;
    };
    println!(
        "
syscalls of plan (10,000 right links), from [links] and from one each entry ({} repo folders):",
        fx.folders.len() + 1
    );
    println!("  {:<12} {:>8} {:>8}", "syscall", "links", "each");
    for name in [
        "getdents64",
        "openat",
        "readlinkat",
        "statx",
        "newfstatat",
        "total",
    ] {
        let get = |m: &std::collections::BTreeMap<String, u64>| m.get(name).copied().unwrap_or(0);
        println!("  {name:<12} {:>8} {:>8}", get(&plain), get(&each));
    }
}

fn rounds() -> (usize, usize) {
    let Ok(v) = std::env::var("LINKFILE_BENCH_ROUNDS") else {
        return (15, 10);
    };
    let parse = |s: &str| s.trim().parse::<usize>().ok().filter(|n| *n > 0);
    match v.split_once(',') {
        Some((p, a)) => (parse(p).unwrap_or(15), parse(a).unwrap_or(10)),
        None => {
            let n = parse(&v).unwrap_or(15);
            (n, n)
        }
    }
}

/// Where the fixture goes: `LINKFILE_BENCH_KEEP` (new or empty, kept afterwards), else a temp
/// folder (under `LINKFILE_BENCH_DIR` if set) that lives as long as the returned guard.
fn fixture_root(keep: Option<&Path>) -> (PathBuf, Option<tempfile::TempDir>) {
    if let Some(dir) = keep {
        fs::create_dir_all(dir).expect("make LINKFILE_BENCH_KEEP");
        let empty = fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none());
        assert!(
            empty,
            "LINKFILE_BENCH_KEEP={} must be new or empty",
            dir.display()
        );
        return (fs::canonicalize(dir).expect("LINKFILE_BENCH_KEEP"), None);
    }
    let tmp = match std::env::var_os("LINKFILE_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let root = fs::canonicalize(tmp.path()).expect("temp dir");
    (root, Some(tmp))
}

/// What is measured, how, and how many rounds.
fn print_header(fx: &Fixture, plan_rounds: usize, apply_rounds: usize) {
    println!(
        "linkfile plan_apply: {} links ({FOLDERS} folders x {FILES} files), repo {}",
        fx.links.len(),
        fx.repo.display()
    );
    let env: String = [
        "LINKFILE_BENCH_DIR",
        "LINKFILE_BENCH_KEEP",
        "LINKFILE_BENCH_ROUNDS",
    ]
    .iter()
    .filter_map(|k| std::env::var(k).ok().map(|v| format!("{k}={v} ")))
    .collect();
    println!("command: {env}cargo bench --bench plan_apply");
    println!(
        "measured in-process: linkfile::run([\"linkfile\", \"--home\", HOME, \"-m\", {:?}, \"plan\"|\"apply\"]), output to io::sink()",
        fx.manifest.display().to_string()
    );
    println!(
        "rounds: {WARMUP} warm-up, then {plan_rounds} (plan) / {apply_rounds} (apply), baseline and linkfile interleaved; medians shown\n"
    );
}

/// The medians against their targets, then each case's spread, with a warning when noisy.
fn print_results(rows: [Row; 3]) {
    println!(
        "{:<26} {:>6} {:>12} {:>12} {:>7} {:>7}",
        "case", "rounds", "baseline ms", "linkfile ms", "ratio", "target"
    );
    let mut spread = String::new();
    let mut noisy = false;
    for r in rows {
        let (base, base_min, base_max) = stats(r.baseline);
        let (ours, ours_min, ours_max) = stats(r.linkfile);
        let ratio = ours / base;
        println!(
            "{:<26} {:>6} {base:>12.2} {ours:>12.2} {ratio:>7.2} {:>7} {}",
            r.case,
            r.rounds,
            format!("<= {:.1}", r.target),
            if ratio <= r.target { "ok" } else { "MISSED" }
        );
        writeln!(
            spread,
            "  {:<24} baseline {base_min:.2}..{base_max:.2} ms, linkfile {ours_min:.2}..{ours_max:.2} ms",
            r.case
        )
        .unwrap();
        noisy |= base_max > 2.0 * base_min || ours_max > 2.0 * ours_min;
    }
    print!("(medians; min..max of the measured rounds:)\n{spread}");
    if noisy {
        println!(
            "warning: some rounds took over twice as long as others: the machine or the filesystem was \
             busy (on ext4 without a journal, files deleted in the last minutes, e.g. by the previous \
             run's clean-up, slow down creating new ones); run again later, or with \
             LINKFILE_BENCH_DIR=/dev/shm"
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that does not match this bench skips it.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.as_deref().is_some_and(|f| !"plan_apply".contains(f)) {
        return;
    }
    let keep = std::env::var_os("LINKFILE_BENCH_KEEP").map(PathBuf::from);
    let (root, _tmp) = fixture_root(keep.as_deref());
    let fx = Fixture::generate(&root).expect("generate fixture");
    let (plan_rounds, apply_rounds) = rounds();
    print_header(&fx, plan_rounds, apply_rounds);

    print_results([
        bench_plan(&fx, plan_rounds),
        bench_plan_each(&fx, plan_rounds),
        bench_apply(&fx, apply_rounds),
    ]);

    strace_apply(&fx);
    strace_plans(&fx);

    if keep.is_some() {
        println!(
            "\nkept: {} (manifest {}, home {} with every link made)",
            fx.root.display(),
            fx.manifest.display(),
            fx.root.join("home-plan").display()
        );
    }
}
