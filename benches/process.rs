//! linkfile as a whole process against a bare loop over the same paths (issue 14).
//!
//! Run with `cargo bench --bench process`. Where `plan_apply` times `linkfile::run` in-process,
//! this bench times what a user waits for: the built binary (`CARGO_BIN_EXE_linkfile`), started
//! with `-m MANIFEST --home HOME plan -q` or `apply -q`, `LINKFILE_STATE_DIR` set to a folder of
//! the fixture, stdout to /dev/null, its exit code checked. The bare loop is this bench binary
//! started again as `--bare plan|apply HOME REPO LIST`: a separate process with the same start-up
//! costs that uses std only. It reads LIST (the links' paths relative to the home, one a line) in
//! one read, then
//!
//! - plan: one `symlink_metadata` + one `read_link` per link, the text compared with REPO/rel;
//!   it prints how many links are wrong;
//! - apply: one `create_dir` per folder (when the folder changes) + one `symlink` per link.
//!
//! The fixture is `plan_apply`'s: 100 folders x 100 files (`d000/f000` ...), 10,000 links; for
//! the growth and memory rows also 1,000 folders x 100 files, 100,000 links. Each row runs its
//! two sides interleaved (A B A B ...) after warm-up rounds, and compares their medians. Every
//! apply into an empty home gets its own home (and state folder), made before the rounds are
//! timed. On ext4 nothing is deleted until the end (why: see `plan_apply`'s module docs); on
//! tmpfs both sides' homes of a round are deleted after it, untimed (why: [`clear_round`]).
//!
//! Environment:
//! - `LINKFILE_BENCH_DIR=DIR`: make the temp dir inside DIR (e.g. `/dev/shm` for tmpfs).
//! - `LINKFILE_BENCH_ROUNDS=N` or `N,BIG`: measured rounds at 10,000 links (default 7) and at
//!   100,000 links (default 7: with 3, the median of a 100,000-link apply moved by a tenth
//!   from run to run on a shared machine, the whole margin of its growth row).
//! - `LINKFILE_BENCH_SMALL=1`: skip the rows at 100,000 links (growth and memory).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FILES: usize = 100;
const FOLDERS: usize = 100;
const BIG_FOLDERS: usize = 1_000;
const WARMUP: usize = 2;
const BIG_WARMUP: usize = 1;
const KNOBS: [&str; 3] = [
    "LINKFILE_BENCH_DIR",
    "LINKFILE_BENCH_ROUNDS",
    "LINKFILE_BENCH_SMALL",
];

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "--bare") {
        std::process::exit(bare::main(&args[2..]));
    }
    // `cargo bench` passes `--bench`; a filter argument that does not match this bench skips it.
    let filter = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| !a.starts_with('-'));
    if filter.is_some_and(|f| !"process".contains(f)) {
        return;
    }
    let tmp = match std::env::var_os("LINKFILE_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("make the bench's temp dir (LINKFILE_BENCH_DIR must be a writable folder)");
    let root = fs::canonicalize(tmp.path()).expect("the temp dir's real path");
    let (rounds, big_rounds) = rounds();
    let small = std::env::var("LINKFILE_BENCH_SMALL").is_ok_and(|v| !v.is_empty() && v != "0");
    print_header(&root, rounds, big_rounds, small);

    let mut report = Report::default();
    let fx = Fixture::generate(&root.join("10k"), FOLDERS).expect("generate the 10k fixture");
    let ten_k = bench_10k(&fx, rounds, &mut report);
    if small {
        report.note("100,000 links: skipped (LINKFILE_BENCH_SMALL=1)".into());
    } else {
        let big =
            Fixture::generate(&root.join("100k"), BIG_FOLDERS).expect("generate the 100k fixture");
        bench_100k(&big, &ten_k, big_rounds, &mut report);
    }
    report.print();
    tmp.close().expect("delete the bench's fixture");
    println!("\nfixture deleted: {}", root.display());
}

/// The bare loop: what any tool must at least ask of the filesystem, as its own process.
mod bare {
    use std::ffi::OsString;
    use std::fs;
    use std::io;
    use std::path::Path;

    /// `plan|apply HOME REPO LIST`; the exit code.
    pub(crate) fn main(args: &[OsString]) -> i32 {
        let [mode, home, repo, list] = args else {
            eprintln!("usage: process --bare plan|apply HOME REPO LIST");
            return 2;
        };
        let (home, repo) = (Path::new(home), Path::new(repo));
        let list = match fs::read_to_string(list) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("bare: cannot read {}: {e}", Path::new(list).display());
                return 1;
            }
        };
        let done = match mode.to_str() {
            Some("plan") => {
                println!("{}", check(home, repo, &list));
                Ok(())
            }
            Some("apply") => deploy(home, repo, &list),
            _ => {
                eprintln!("bare: unknown mode {}", mode.to_string_lossy());
                return 2;
            }
        };
        match done {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("bare: {e}");
                1
            }
        }
    }

    /// How many links are not a symlink holding REPO/rel.
    fn check(home: &Path, repo: &Path, list: &str) -> usize {
        let mut wrong = 0;
        for rel in list.lines() {
            let at = home.join(rel);
            let meta = fs::symlink_metadata(&at);
            let text = fs::read_link(&at);
            let right = meta.is_ok_and(|m| m.file_type().is_symlink())
                && text.is_ok_and(|t| t == repo.join(rel));
            wrong += usize::from(!right);
        }
        wrong
    }

    /// Makes every link (and its folder, once) in an empty home.
    fn deploy(home: &Path, repo: &Path, list: &str) -> io::Result<()> {
        let mut folder = None;
        for rel in list.lines() {
            let parent = rel.rsplit_once('/').map(|(d, _)| d);
            if parent != folder {
                if let Some(d) = parent {
                    fs::create_dir(home.join(d))?;
                }
                folder = parent;
            }
            symlink(&repo.join(rel), &home.join(rel))?;
        }
        Ok(())
    }

    #[cfg(unix)]
    fn symlink(text: &Path, at: &Path) -> io::Result<()> {
        std::os::unix::fs::symlink(text, at)
    }

    #[cfg(windows)]
    fn symlink(text: &Path, at: &Path) -> io::Result<()> {
        std::os::windows::fs::symlink_file(text, at)
    }
}

/// A generated repo, its manifests and the list of its links, under one folder.
struct Fixture {
    root: PathBuf,
    repo: PathBuf,
    /// One `[links]` line per link.
    manifest: PathBuf,
    /// The same links from one `each = true` entry over the whole repo.
    each_manifest: PathBuf,
    /// The links relative to a home (`d000/f000` ...), one a line: the bare loop's input.
    list: PathBuf,
    links: usize,
    /// Whether it lies on tmpfs (see [`clear_round`]).
    tmpfs: bool,
}

impl Fixture {
    /// `folders` x [`FILES`] empty originals (`dNNN/fNNN`), the two manifests and the list.
    fn generate(root: &Path, folders: usize) -> io::Result<Fixture> {
        let repo = root.join("repo");
        fs::create_dir_all(&repo)?;
        let mut manifest = String::from("version = 1\n\n[links]\n");
        let mut list = String::new();
        for d in 0..folders {
            let folder = format!("d{d:03}");
            fs::create_dir(repo.join(&folder))?;
            for f in 0..FILES {
                let rel = format!("{folder}/f{f:03}");
                fs::File::create(repo.join(&rel))?;
                writeln!(manifest, "\"~/{rel}\" = \"{rel}\"").expect("write to a String");
                writeln!(list, "{rel}").expect("write to a String");
            }
        }
        let fx = Fixture {
            root: root.to_path_buf(),
            manifest: repo.join("linkfile.toml"),
            each_manifest: repo.join("each.toml"),
            list: root.join("links.txt"),
            repo,
            links: folders * FILES,
            tmpfs: fs_type(root) == "tmpfs",
        };
        fs::write(&fx.manifest, manifest)?;
        // The list lies outside the repo; the ignore keeps the manifests out of the links.
        fs::write(
            &fx.each_manifest,
            "version = 1\n\n[[link]]\nat = \"~\"\nto = \".\"\neach = true\nignore = [\"*.toml\"]\n",
        )?;
        fs::write(&fx.list, list)?;
        Ok(fx)
    }

    /// A new empty home `name` (never reused); its state folder is `name.state`, not yet made.
    fn fresh_home(&self, name: &str) -> PathBuf {
        let home = self.root.join(name);
        fs::create_dir(&home).expect("make a home (its name must be new)");
        home
    }

    /// `linkfile -m MANIFEST --home HOME COMMAND -q`, its state beside the home.
    fn linkfile(&self, manifest: &Path, home: &Path, command: &str) -> Command {
        let mut state = home.as_os_str().to_owned();
        state.push(".state");
        let mut c = Command::new(env!("CARGO_BIN_EXE_linkfile"));
        c.arg("-m")
            .arg(manifest)
            .arg("--home")
            .arg(home)
            .arg(command)
            .arg("-q")
            .env("LINKFILE_STATE_DIR", state)
            .env_remove("LINKFILE_MANIFEST")
            .env_remove("LINKFILE_HOME")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        c
    }

    /// The bare loop over HOME: `plan` or `apply`.
    fn bare(&self, mode: &str, home: &Path) -> Command {
        let exe = std::env::current_exe().expect("the bench binary's path");
        let mut c = Command::new(exe);
        c.arg("--bare")
            .arg(mode)
            .arg(home)
            .arg(&self.repo)
            .arg(&self.list)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        c
    }

    /// A home with every link made by `linkfile apply`, checked right by both the bare loop
    /// and linkfile's plans (`--exit-code`: 0 when nothing is pending), from both manifests.
    fn applied_home(&self, name: &str) -> PathBuf {
        let home = self.fresh_home(name);
        run_ok(&mut self.linkfile(&self.manifest, &home, "apply"));
        let out = self
            .bare("plan", &home)
            .stdout(Stdio::piped())
            .output()
            .expect("run the bare loop");
        let wrong = String::from_utf8_lossy(&out.stdout);
        assert_eq!(wrong.trim(), "0", "the bare loop finds links wrong");
        for manifest in [&self.manifest, &self.each_manifest] {
            run_ok(self.linkfile(manifest, &home, "plan").arg("--exit-code"));
        }
        home
    }

    /// `rounds` pairs of new empty homes, for the bare loop and for linkfile.
    fn empty_homes(&self, tag: &str, rounds: usize) -> Vec<(PathBuf, PathBuf)> {
        let homes = (0..rounds)
            .map(|i| {
                (
                    self.fresh_home(&format!("empty-{tag}-bare-{i:02}")),
                    self.fresh_home(&format!("empty-{tag}-linkfile-{i:02}")),
                )
            })
            .collect();
        settle();
        homes
    }

    /// Checks that linkfile made the last link of the list in `home`.
    fn assert_made(&self, home: &Path) {
        let rel = format!("d{:03}/f{:03}", self.links / FILES - 1, FILES - 1);
        let text = fs::read_link(home.join(&rel)).expect("linkfile made the last link");
        assert_eq!(text, self.repo.join(&rel));
    }
}

/// Runs `cmd`, which must exit 0.
fn run_ok(cmd: &mut Command) {
    let status = cmd.status().expect("start the command");
    assert!(status.success(), "{cmd:?} failed: {status}");
}

/// The wall time of one run of `cmd` (start to exit), which must exit 0.
fn time(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let status = cmd.status().expect("start the command");
    let took = start.elapsed();
    assert!(status.success(), "{cmd:?} failed: {status}");
    took
}

/// Writes what the setup left dirty back to disk first, so that the kernel's writeback does
/// not take a core while the rounds are timed.
fn settle() {
    let _ = Command::new("sync").status();
}

/// The measured times of one side of a row.
struct Samples(Vec<Duration>);

impl Samples {
    fn ms(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self.0.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    fn median(&self) -> f64 {
        let v = self.ms();
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }

    /// Min and max, in ms.
    fn range(&self) -> (f64, f64) {
        let v = self.ms();
        (v[0], v[v.len() - 1])
    }
}

/// Runs `a(i)` and `b(i)` alternately for `warmup + rounds` rounds (`i` the round, from 0);
/// the measured times of each side, warm-up rounds left out.
fn interleave(
    warmup: usize,
    rounds: usize,
    a: impl FnMut(usize) -> Command,
    b: impl FnMut(usize) -> Command,
) -> (Samples, Samples) {
    interleave_then(warmup, rounds, a, b, |_| {})
}

/// As [`interleave`], calling `after(i)` after round `i`, untimed.
fn interleave_then(
    warmup: usize,
    rounds: usize,
    mut a: impl FnMut(usize) -> Command,
    mut b: impl FnMut(usize) -> Command,
    mut after: impl FnMut(usize),
) -> (Samples, Samples) {
    let (mut sa, mut sb) = (Vec::new(), Vec::new());
    for i in 0..warmup + rounds {
        let ta = time(&mut a(i));
        let tb = time(&mut b(i));
        after(i);
        if i >= warmup {
            sa.push(ta);
            sb.push(tb);
        }
    }
    (Samples(sa), Samples(sb))
}

/// After round `i` of an apply row on tmpfs: both sides' homes of that round deleted (the last
/// round's kept, for `assert_made`). tmpfs keeps an inode in memory, and a new one reuses the
/// memory of one deleted; with every earlier home kept, each new link needed a fresh inode
/// from the kernel's slab allocator, whose constructor (`inode_init_once`) and `allocate_slab`
/// were 53% of the samples of a 100,000-link apply (`perf record`), and the bare loop's apply
/// grew 28-fold from 10,000 links to 100,000. The kernel frees a deleted inode after an RCU
/// grace period, on its own threads: a pause (4 ms per 1,000 links) lets that work finish
/// before the next round is timed (a bare 100,000-link apply right after deleting two such
/// homes took 438-469 ms, after a 1 s pause 418-458 ms; three runs each). On ext4 the homes are kept (see the module docs).
fn clear_round(fx: &Fixture, homes: &[(PathBuf, PathBuf)], i: usize) {
    if !fx.tmpfs || i + 1 == homes.len() {
        return;
    }
    let (bare, ours) = &homes[i];
    let mut state = ours.as_os_str().to_owned();
    state.push(".state");
    for dir in [bare, ours, &PathBuf::from(state)] {
        fs::remove_dir_all(dir).expect("delete a round's home");
    }
    std::thread::sleep(Duration::from_millis(fx.links as u64 * 4 / 1000));
}

/// The medians at 10,000 links, for the growth rows: linkfile's, and the bare loop's (to
/// tell linkfile's growth from the filesystem's).
struct TenK {
    plan: f64,
    apply: f64,
    bare_plan: f64,
    bare_apply: f64,
}

/// Rows 1-4, at 10,000 links.
fn bench_10k(fx: &Fixture, rounds: usize, report: &mut Report) -> TenK {
    let home = fx.applied_home("home");
    let empty = fx.empty_homes("10k", WARMUP + rounds);
    let (m, each) = (&fx.manifest, &fx.each_manifest);

    let (bare_plan, plan) = interleave(
        WARMUP,
        rounds,
        |_| fx.bare("plan", &home),
        |_| fx.linkfile(m, &home, "plan"),
    );
    report.versus(
        "plan, 10,000 `[links]` lines, all right",
        &bare_plan,
        &plan,
        1.0,
    );

    let (bare, ours) = interleave(
        WARMUP,
        rounds,
        |_| fx.bare("plan", &home),
        |_| fx.linkfile(each, &home, "plan"),
    );
    report.versus("plan, one `each` entry, all right", &bare, &ours, 0.8);

    let (bare_apply, apply) = interleave_then(
        WARMUP,
        rounds,
        |i| fx.bare("apply", &empty[i].0),
        |i| fx.linkfile(m, &empty[i].1, "apply"),
        |i| clear_round(fx, &empty, i),
    );
    fx.assert_made(&empty[WARMUP + rounds - 1].1);
    report.versus("apply into an empty home", &bare_apply, &apply, 1.5);

    let (plan_again, noop) = interleave(
        WARMUP,
        rounds,
        |_| fx.linkfile(m, &home, "plan"),
        |_| fx.linkfile(m, &home, "apply"),
    );
    report.timed(
        "apply, nothing to change (bare column: linkfile `plan`)",
        &plan_again,
        &noop,
        noop.median() / plan_again.median(),
        1.1,
    );
    report.rounds_note(rounds, WARMUP, "10,000 links");
    TenK {
        plan: plan.median(),
        apply: apply.median(),
        bare_plan: bare_plan.median(),
        bare_apply: bare_apply.median(),
    }
}

/// Row 5 (plan and apply at 100,000 links against linkfile at 10,000) and row 6 (memory).
fn bench_100k(fx: &Fixture, ten_k: &TenK, rounds: usize, report: &mut Report) {
    let home = fx.applied_home("home");
    let empty = fx.empty_homes("100k", BIG_WARMUP + rounds);
    let m = &fx.manifest;

    let (bare, plan) = interleave(
        BIG_WARMUP,
        rounds,
        |_| fx.bare("plan", &home),
        |_| fx.linkfile(m, &home, "plan"),
    );
    report.growth("plan", [&bare, &plan], [ten_k.bare_plan, ten_k.plan]);

    let (bare, apply) = interleave_then(
        BIG_WARMUP,
        rounds,
        |i| fx.bare("apply", &empty[i].0),
        |i| fx.linkfile(m, &empty[i].1, "apply"),
        |i| clear_round(fx, &empty, i),
    );
    fx.assert_made(&empty[BIG_WARMUP + rounds - 1].1);
    report.growth(
        "apply into an empty home",
        [&bare, &apply],
        [ten_k.bare_apply, ten_k.apply],
    );
    report.rounds_note(rounds, BIG_WARMUP, "100,000 links");

    memory(fx, &home, report);
}

/// Row 6: the peak memory of one `plan -q` of every link, linkfile's and the bare loop's.
#[cfg(unix)]
fn memory(fx: &Fixture, home: &Path, report: &mut Report) {
    let bare = max_rss_mb(&mut fx.bare("plan", home));
    let ours = max_rss_mb(&mut fx.linkfile(&fx.manifest, home, "plan"));
    report.rows.push(Row {
        case: "`plan` of 100,000 links: peak memory (max RSS)".into(),
        base: format!("{bare:.1} MB"),
        ours: format!("{ours:.1} MB"),
        ratio: "—".into(),
        target: "≤ 60 MB".into(),
        met: ours <= 60.0,
    });
}

#[cfg(not(unix))]
fn memory(_: &Fixture, _: &Path, report: &mut Report) {
    report.note("peak memory: not measured on this platform (wait4 is Unix only)".into());
}

/// The peak resident memory of one run of `cmd` (which must exit 0), in MB, from the rusage
/// `wait4` returns for that child alone (`getrusage(RUSAGE_CHILDREN)` would give the largest
/// of every child this process ever waited for).
#[cfg(unix)]
fn max_rss_mb(cmd: &mut Command) -> f64 {
    let child = cmd.spawn().expect("start the command");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    let mut status = 0;
    // SAFETY: rusage is a plain C struct of integers, for which all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals of the right types; the child is ours and not
    // yet waited for (std's `Child` is dropped below without waiting).
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", io::Error::last_os_error());
    drop(child);
    let exited_ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    assert!(exited_ok, "{cmd:?} failed: wait status {status}");
    // Linux gives KiB, macOS bytes.
    let kib = if cfg!(target_os = "macos") {
        usage.ru_maxrss as f64 / 1024.0
    } else {
        usage.ru_maxrss as f64
    };
    kib / 1024.0
}

/// One line of the table.
struct Row {
    case: String,
    base: String,
    ours: String,
    ratio: String,
    target: String,
    met: bool,
}

/// The table, each row's spread of rounds, and notes.
#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    spread: String,
    noisy: bool,
    notes: Vec<String>,
}

impl Report {
    fn note(&mut self, line: String) {
        self.notes.push(line);
    }

    /// linkfile (`ours`) against the bare loop (`base`), target on ours / base.
    fn versus(&mut self, case: &str, base: &Samples, ours: &Samples, target: f64) {
        self.timed(case, base, ours, ours.median() / base.median(), target);
    }

    /// linkfile at 100,000 links (`big`: bare, linkfile) against its median at 10,000
    /// (`ten_k`: bare, linkfile); the bare column is the bare loop at 100,000, and a note gives
    /// its own growth, the filesystem's share.
    fn growth(&mut self, what: &str, big: [&Samples; 2], ten_k: [f64; 2]) {
        let [base, ours] = big;
        let case = format!("{what}, 100,000 links (ratio: linkfile 100k / 10k)");
        self.timed(&case, base, ours, ours.median() / ten_k[1], 11.0);
        self.note(format!(
            "{what}: linkfile 100k {:.1} ms / 10k {:.1} ms = {:.2}; bare loop 100k {:.1} ms / 10k {:.1} ms = {:.2}",
            ours.median(),
            ten_k[1],
            ours.median() / ten_k[1],
            base.median(),
            ten_k[0],
            base.median() / ten_k[0],
        ));
    }

    /// A row of two timed sides and their ratio.
    fn timed(&mut self, case: &str, base: &Samples, ours: &Samples, ratio: f64, target: f64) {
        let ((bmin, bmax), (omin, omax)) = (base.range(), ours.range());
        writeln!(
            self.spread,
            "  {case}: bare {bmin:.1}..{bmax:.1} ms, linkfile {omin:.1}..{omax:.1} ms"
        )
        .expect("write to a String");
        self.noisy |= bmax > 2.0 * bmin || omax > 2.0 * omin;
        self.rows.push(Row {
            case: case.into(),
            base: format!("{:.1}", base.median()),
            ours: format!("{:.1}", ours.median()),
            ratio: format!("{ratio:.2}"),
            target: format!("≤ {target:.1}"),
            met: ratio <= target,
        });
    }

    fn rounds_note(&mut self, rounds: usize, warmup: usize, at: &str) {
        self.note(format!(
            "rounds at {at}: {warmup} warm-up, then {rounds} measured, interleaved"
        ));
    }

    fn print(&self) {
        println!("| case | bare ms | linkfile ms | ratio | target | met |");
        println!("|---|---:|---:|---:|---:|---|");
        for r in &self.rows {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                r.case,
                r.base,
                r.ours,
                r.ratio,
                r.target,
                if r.met { "PASS" } else { "MISS" }
            );
        }
        println!();
        for n in &self.notes {
            println!("{n}");
        }
        print!(
            "medians above; min..max of the measured rounds:\n{}",
            self.spread
        );
        if self.noisy {
            println!(
                "warning: some rounds took over twice as long as others: the machine or the \
                 filesystem was busy (on ext4 without a journal, files deleted in the last minutes \
                 slow down creating new ones); run again later, or with LINKFILE_BENCH_DIR=/dev/shm"
            );
        }
        let _ = io::stdout().flush();
    }
}

/// `LINKFILE_BENCH_ROUNDS`: `N` or `N,BIG` (default 7 and 7).
fn rounds() -> (usize, usize) {
    let parse = |s: &str| s.trim().parse::<usize>().ok().filter(|n| *n > 0);
    let Ok(v) = std::env::var("LINKFILE_BENCH_ROUNDS") else {
        return (7, 7);
    };
    match v.split_once(',') {
        Some((n, big)) => (parse(n).unwrap_or(7), parse(big).unwrap_or(7)),
        None => (parse(&v).unwrap_or(7), 7),
    }
}

/// What is measured, where, and the command that ran it.
fn print_header(root: &Path, rounds: usize, big_rounds: usize, small: bool) {
    let env: String = KNOBS
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| format!("{k}={v} ")))
        .collect();
    println!("command: {env}cargo bench --bench process");
    println!(
        "bench dir: {} (filesystem: {})",
        root.display(),
        fs_type(root)
    );
    println!(
        "linkfile: {} -m MANIFEST --home HOME plan|apply -q, LINKFILE_STATE_DIR=HOME.state, stdout to /dev/null",
        env!("CARGO_BIN_EXE_linkfile")
    );
    println!(
        "bare loop: this bench binary, --bare plan|apply HOME REPO LIST (std only, same start-up)"
    );
    let big = if small {
        "100,000 links: skipped".to_string()
    } else {
        format!("100,000 links: {BIG_WARMUP} warm-up + {big_rounds} rounds")
    };
    println!(
        "rounds: 10,000 links: {WARMUP} warm-up + {rounds} rounds; {big}; sides interleaved, medians shown\n"
    );
}

/// The type of the filesystem holding `path`: the longest mount point above it in
/// /proc/self/mounts, else `stat -f -c %T`.
fn fs_type(path: &Path) -> String {
    let from_mounts = fs::read_to_string("/proc/self/mounts").ok().and_then(|m| {
        m.lines()
            .filter_map(|l| {
                let mut cols = l.split_whitespace();
                let (point, kind) = (cols.nth(1)?, cols.next()?);
                // Spaces and the like are written as octal escapes.
                let point = point.replace("\\040", " ").replace("\\011", "\t");
                path.starts_with(&point)
                    .then(|| (point.len(), kind.to_string()))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, kind)| kind)
    });
    from_mounts
        .or_else(|| {
            let out = Command::new("stat")
                .args(["-f", "-c", "%T"])
                .arg(path)
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
