//! A throwaway home and repo, a way to run linkfile in them, and a snapshot of everything on disk.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// A temp folder holding `home/` and `repo/`.
pub(crate) struct World {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub repo: PathBuf,
    /// linkfile's state folder (LINKFILE_STATE_DIR), beside home and repo.
    pub state: PathBuf,
    pub env: HashMap<String, String>,
}

/// What a run printed and returned.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: u8,
    /// Stdout with temp paths replaced by placeholders.
    pub stdout: String,
    /// Stdout as printed.
    pub raw_stdout: String,
    pub stderr: String,
}

impl World {
    pub(crate) fn new() -> World {
        World::from_temp(tempfile::tempdir().unwrap())
    }

    /// A world in a temp folder inside `parent` (e.g. a tmpfs, for tests that make thousands of
    /// links), or in the system's temp folder when `parent` does not exist.
    pub(crate) fn new_in(parent: &Path) -> World {
        match tempfile::tempdir_in(parent) {
            Ok(tmp) => World::from_temp(tmp),
            Err(_) => World::new(),
        }
    }

    fn from_temp(tmp: tempfile::TempDir) -> World {
        // By its real path on Unix (macOS's temp folder is behind /var -> /private/var), so
        // that messages naming real paths are filtered too; Windows would add a `\\?\` prefix.
        let root = if cfg!(unix) {
            fs::canonicalize(tmp.path()).unwrap()
        } else {
            tmp.path().to_path_buf()
        };
        let home = root.join("home");
        let repo = root.join("repo");
        fs::create_dir(&home).unwrap();
        fs::create_dir(&repo).unwrap();
        let state = root.join("state");
        let mut env = HashMap::new();
        env.insert(
            "LINKFILE_STATE_DIR".to_string(),
            state.to_string_lossy().into_owned(),
        );
        World {
            _tmp: tmp,
            root,
            home,
            repo,
            state,
            env,
        }
    }

    /// Writes `linkfile.toml` in the repo.
    pub(crate) fn manifest(&self, text: &str) -> &Self {
        self.repo_file("linkfile.toml", text)
    }

    /// Writes a file in the repo (parents made).
    pub(crate) fn repo_file(&self, rel: &str, contents: &str) -> &Self {
        write(&self.repo.join(rel), contents);
        self
    }

    /// Writes a file in the home (parents made).
    pub(crate) fn home_file(&self, rel: &str, contents: &str) -> &Self {
        write(&self.home.join(rel), contents);
        self
    }

    pub(crate) fn set_env(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.insert(k.into(), v.into());
        self
    }

    /// Runs `linkfile --home HOME ARGS...` in the repo, in-process, with only `self.env` as
    /// environment. Output has the temp paths replaced by [HOME], [REPO] and [TMP].
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_in(&self.repo, args)
    }

    pub(crate) fn run_in(&self, cwd: &Path, args: &[&str]) -> Run {
        let env = self.env.clone();
        let system = linkfile::System {
            env: Box::new(move |k| env.get(k).cloned()),
            cwd: cwd.to_path_buf(),
            stdout_is_terminal: false,
            stderr_is_terminal: false,
            host: "linkfile-test".into(),
            stdout_palette: linkfile::color::Palette::PLAIN,
            stderr_palette: linkfile::color::Palette::PLAIN,
            exits_after_run: false,
        };
        let mut argv = vec!["linkfile".to_string(), "--home".into()];
        argv.push(self.home.to_string_lossy().into_owned());
        argv.extend(args.iter().map(|s| s.to_string()));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = {
            let _gate = no_spawning();
            linkfile::run(argv, &system, &mut out, &mut err)
        };
        let raw_stdout = String::from_utf8(out).unwrap();
        Run {
            code,
            stdout: self.filter(&raw_stdout),
            raw_stdout,
            stderr: self.filter(&String::from_utf8(err).unwrap()),
        }
    }

    /// Replaces temp paths in output by placeholders, and Windows separators by `/`.
    pub(crate) fn filter(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (p, name) in [
            (&self.home, "[HOME]"),
            (&self.repo, "[REPO]"),
            (&self.root, "[TMP]"),
        ] {
            let text = p.to_string_lossy();
            s = s.replace(&*text, name);
            s = s.replace(&*text.replace('\\', "\\\\"), name);
        }
        if cfg!(windows) {
            s = windows_separators(&s);
        }
        s
    }

    /// Everything in the home and the repo: kind, bytes or link text, and (on Unix) mode.
    /// linkfile's own state folder is not included (see `snapshot_all`).
    pub(crate) fn snapshot(&self) -> BTreeMap<String, Node> {
        let mut map = BTreeMap::new();
        walk(&self.root, &self.home, &mut map);
        walk(&self.root, &self.repo, &mut map);
        map
    }

    /// Everything under the temp root, linkfile's state included.
    pub(crate) fn snapshot_all(&self) -> BTreeMap<String, Node> {
        let mut map = BTreeMap::new();
        walk(&self.root, &self.root, &mut map);
        map
    }

    /// A `System` with this world's environment, for library calls.
    pub(crate) fn system(&self) -> linkfile::System {
        let env = self.env.clone();
        linkfile::System {
            env: Box::new(move |k| env.get(k).cloned()),
            cwd: self.repo.clone(),
            stdout_is_terminal: false,
            stderr_is_terminal: false,
            host: "linkfile-test".into(),
            stdout_palette: linkfile::color::Palette::PLAIN,
            stderr_palette: linkfile::color::Palette::PLAIN,
            exits_after_run: false,
        }
    }

    /// Creates a symlink in the home (parents made).
    pub(crate) fn home_link(&self, rel: &str, text: &Path) {
        let at = self.home.join(rel);
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        symlink(text, &at);
    }

    pub(crate) fn link_text(&self, rel: &str) -> Option<PathBuf> {
        fs::read_link(self.home.join(rel)).ok()
    }

    /// `linkfile --home HOME ARGS...` as a child process of the real binary, in the repo, with
    /// this world's environment on top of the test's (minus linkfile's own variables). Standard
    /// streams are the caller's to set; start it with [`spawn`].
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_linkfile"));
        c.arg("--home").arg(&self.home).args(args);
        c.current_dir(&self.repo);
        for k in ["LINKFILE_MANIFEST", "LINKFILE_HOME", "LINKFILE_STATE_DIR"] {
            c.env_remove(k);
        }
        c.envs(&self.env);
        c
    }

    /// This manifest's folder in the state (`m-<hash>`), once linkfile has made it.
    pub(crate) fn manifest_state(&self) -> Option<PathBuf> {
        fs::read_dir(&self.state)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("m-"))
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    File { bytes: Vec<u8>, mode: u32 },
    Dir { mode: u32 },
    Link(PathBuf),
}

fn mode(m: &fs::Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        m.permissions().mode()
    }
    #[cfg(not(unix))]
    {
        u32::from(m.permissions().readonly())
    }
}

fn walk(root: &Path, dir: &Path, map: &mut BTreeMap<String, Node>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            map.insert(rel, Node::Link(fs::read_link(&path).unwrap()));
        } else if meta.is_dir() {
            map.insert(rel, Node::Dir { mode: mode(&meta) });
            walk(root, &path, map);
        } else {
            map.insert(
                rel,
                Node::File {
                    bytes: fs::read(&path).unwrap(),
                    mode: mode(&meta),
                },
            );
        }
    }
}

/// Everything below `dir` (kind, bytes or link text, mode), keyed by path relative to it.
pub(crate) fn snapshot_of(dir: &Path) -> BTreeMap<String, Node> {
    let mut map = BTreeMap::new();
    walk(dir, dir, &mut map);
    map
}

pub(crate) fn write(path: &Path, contents: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

#[cfg(unix)]
pub(crate) fn symlink(text: &Path, at: &Path) {
    std::os::unix::fs::symlink(text, at).unwrap();
}

/// A symlink at `at` holding `text`: a directory symlink when `text` leads to a folder (from
/// `at`'s folder), as `mklink /D` would make it; a file symlink otherwise.
#[cfg(windows)]
pub(crate) fn symlink(text: &Path, at: &Path) {
    let target = at.parent().unwrap_or(Path::new(".")).join(text);
    if fs::metadata(&target).is_ok_and(|m| m.is_dir()) {
        std::os::windows::fs::symlink_dir(text, at).unwrap();
    } else {
        std::os::windows::fs::symlink_file(text, at).unwrap();
    }
}

/// Whether this system really makes symlinks (Wine reports success and makes nothing). Asked
/// of std directly, never of linkfile: a test's branch is not chosen by the code it tests.
pub(crate) fn symlinks_work() -> bool {
    static WORKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WORKS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("probe");
        #[cfg(unix)]
        let made = std::os::unix::fs::symlink("target", &at);
        #[cfg(windows)]
        let made = std::os::windows::fs::symlink_file("target", &at);
        made.is_ok() && fs::read_link(&at).is_ok()
    })
}

/// Whether this system really makes junctions (real Windows: yes; Wine: error 50; elsewhere
/// there are none). Made with the junction crate and read back with std, never with linkfile.
pub(crate) fn junctions_work() -> bool {
    #[cfg(windows)]
    {
        static WORKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *WORKS.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let (target, at) = (dir.path().join("target"), dir.path().join("probe"));
            fs::create_dir(&target).unwrap();
            junction::create(&target, &at).is_ok() && fs::read_link(&at).is_ok()
        })
    }
    #[cfg(not(windows))]
    false
}

/// Why a test did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    /// This platform cannot run it (no symlinks under Wine, no junctions off Windows): counted
    /// and printed, never a failure.
    Platform,
    /// Something this machine lacks (a tool, a mount): a failure under CI=true, where the
    /// machine is set up to run every test.
    Setup,
}

static SKIPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Records that the running test stops here without testing what it is for, and says so on
/// the real stderr (not captured by the test runner), with the count so far. Under CI=true a
/// [`Skip::Setup`] fails the test: CI is set up to run everything its platform can.
pub(crate) fn skip(why: Skip, reason: &str) {
    use std::io::Write as _;
    let n = SKIPPED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let kind = match why {
        Skip::Platform => "cannot run on this platform",
        Skip::Setup => "cannot run on this machine",
    };
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED ({n} so far): {test}: {kind}: {reason}"
    );
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if fails_under(why, ci) {
        panic!("{test} did not run ({kind}: {reason}), and under CI=true every test must");
    }
}

/// Whether a skip fails the test: a missing setup does under CI=true; a platform that cannot
/// run the test never does.
pub(crate) fn fails_under(why: Skip, ci: bool) -> bool {
    ci && why == Skip::Setup
}

/// How many tests of this run were skipped so far.
pub(crate) fn skipped() -> usize {
    SKIPPED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Stops the running test, recorded and printed by [`skip`]:
/// `skip!(Platform, "why")` or `skip!(Setup, "why")`.
#[macro_export]
macro_rules! skip {
    ($why:ident, $($reason:tt)+) => {{
        $crate::harness::skip($crate::harness::Skip::$why, &format!($($reason)+));
        return;
    }};
}

/// Stops the running test where symlinks cannot be made: a platform skip on Windows (Wine
/// makes none; Windows without Developer Mode or elevation), a broken setup elsewhere (Unix
/// always makes them), which fails under CI=true.
#[macro_export]
macro_rules! require_symlinks {
    () => {
        if !$crate::harness::symlinks_work() {
            if cfg!(windows) {
                $crate::skip!(Platform, "this system does not make symlinks");
            } else {
                $crate::skip!(Setup, "this system does not make symlinks");
            }
        }
    };
}

/// The differences between two snapshots, one line per path (at most `limit`), for messages.
pub(crate) fn snapshot_diff(
    before: &BTreeMap<String, Node>,
    after: &BTreeMap<String, Node>,
    limit: usize,
) -> String {
    fn show(n: Option<&Node>) -> String {
        match n {
            None => "nothing".into(),
            Some(Node::File { bytes, mode }) => {
                format!("file {mode:o} {:?}", String::from_utf8_lossy(bytes))
            }
            Some(Node::Dir { mode }) => format!("folder {mode:o}"),
            Some(Node::Link(text)) => format!("link -> {}", text.display()),
        }
    }
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let lines: Vec<String> = keys
        .into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| format!("  {k}: {} => {}", show(before.get(k)), show(after.get(k))))
        .collect();
    let more = lines.len().saturating_sub(limit);
    let mut s = lines.into_iter().take(limit).collect::<Vec<_>>().join("\n");
    if more > 0 {
        s.push_str(&format!("\n  ... and {more} more"));
    }
    s
}

/// Starting a process copies every open file of this one into the child until the child execs.
/// If another test thread is running linkfile in-process at that moment, the child's copy of
/// linkfile's lock file keeps the OS lock held after that run has let go, and the thread's next
/// run finds it taken (exit 3, "unknown process"). So children start only while no linkfile runs
/// in this process: in-process runs (and tests that hold linkfile's lock themselves) hold this
/// gate shared, and starting children holds it alone. Shared holds nest; never start a child
/// while holding the gate shared.
static GATE: Mutex<(usize, bool)> = Mutex::new((0, false));
static GATE_CHANGED: Condvar = Condvar::new();

fn gate() -> MutexGuard<'static, (usize, bool)> {
    GATE.lock().unwrap_or_else(PoisonError::into_inner)
}

fn gate_wait(g: MutexGuard<'static, (usize, bool)>) -> MutexGuard<'static, (usize, bool)> {
    GATE_CHANGED.wait(g).unwrap_or_else(PoisonError::into_inner)
}

/// Held while linkfile may have its lock file open in this process: no child starts meanwhile.
pub(crate) struct NoSpawning(());

pub(crate) fn no_spawning() -> NoSpawning {
    let mut g = gate();
    while g.1 {
        g = gate_wait(g);
    }
    g.0 += 1;
    NoSpawning(())
}

impl Drop for NoSpawning {
    fn drop(&mut self) {
        gate().0 -= 1;
        GATE_CHANGED.notify_all();
    }
}

/// Held while starting children (several in a row, to start them together).
pub(crate) struct Spawning(());

pub(crate) fn spawning() -> Spawning {
    let mut g = gate();
    while g.1 || g.0 > 0 {
        g = gate_wait(g);
    }
    g.1 = true;
    Spawning(())
}

impl Drop for Spawning {
    fn drop(&mut self) {
        gate().1 = false;
        GATE_CHANGED.notify_all();
    }
}

/// Starts `cmd` (see [`spawning`]).
pub(crate) fn spawn(cmd: &mut Command) -> Child {
    let _gate = spawning();
    cmd.spawn().unwrap()
}

/// Applies the world `make` gives once through the library to count its steps; then, for each
/// step k, on a new world from `make`, makes the apply fail before step k and checks that it
/// says nothing was changed and that the home and repo are exactly as before; `after(&w, k)`
/// checks more. Returns how many steps the apply has.
pub(crate) fn fail_at_every_step(make: impl Fn() -> World, after: impl Fn(&World, usize)) -> usize {
    let apply =
        |w: &World,
         hook: &mut (dyn FnMut(&linkfile::apply::Step) -> std::io::Result<()> + Send)| {
            let session =
                linkfile::load(None, Some(&w.home), &w.system()).unwrap_or_else(|e| panic!("{e}"));
            session.apply(linkfile::command::Command::Apply, None, hook)
        };
    let count = {
        let mut n = 0;
        if let Err(e) = apply(&make(), &mut |_| {
            n += 1;
            Ok(())
        }) {
            panic!("{e}");
        }
        n
    };
    for k in 0..count {
        let w = make();
        let before = w.snapshot();
        let mut n = 0;
        let err = apply(&w, &mut |_| {
            n += 1;
            if n > k {
                Err(std::io::Error::other("injected"))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("nothing was changed"),
            "step {k}: {err}"
        );
        assert_eq!(
            w.snapshot(),
            before,
            "tree differs after a failure at step {k}"
        );
        after(&w, k);
    }
    count
}

/// Runs `linkfile ARGS...` in-process in the repo like [`World::run`], but without `--home`: the
/// home is the platform's home variable, set to `w.home` (a link outside a given home is refused).
pub(crate) fn run_without_home(w: &World, args: &[&str]) -> Run {
    let mut env = w.env.clone();
    env.insert(
        linkfile::platform::HOME_VAR.to_string(),
        w.home.to_string_lossy().into_owned(),
    );
    let system = linkfile::System {
        env: Box::new(move |k| env.get(k).cloned()),
        cwd: w.repo.clone(),
        stdout_is_terminal: false,
        stderr_is_terminal: false,
        host: "linkfile-test".into(),
        stdout_palette: linkfile::color::Palette::PLAIN,
        stderr_palette: linkfile::color::Palette::PLAIN,
        exits_after_run: false,
    };
    let argv: Vec<String> = std::iter::once("linkfile")
        .chain(args.iter().copied())
        .map(str::to_string)
        .collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = {
        let _gate = no_spawning();
        linkfile::run(argv, &system, &mut out, &mut err)
    };
    let raw_stdout = String::from_utf8(out).unwrap();
    Run {
        code,
        stdout: w.filter(&raw_stdout),
        raw_stdout,
        stderr: w.filter(&String::from_utf8(err).unwrap()),
    }
}

impl Run {
    /// The whole run as one text, for an inline snapshot: exit code, stdout, stderr, in that
    /// order, with linkfile's state folder shown as [STATE] and the manifest's folder in it as
    /// [STATE]/m-[HASH]. A stream that does not end in
    /// exactly one newline says so, since snapshots ignore trailing whitespace.
    pub(crate) fn shown(&self) -> String {
        let text = format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code,
            shown_stream(&self.stdout),
            shown_stream(&self.stderr)
        );
        hide_manifest_hash(&text.replace("[TMP]/state", "[STATE]"))
    }
}

/// `[STATE]/m-<hash of the manifest's path>` as `[STATE]/m-[HASH]`: the hash changes with the
/// temp folder.
fn hide_manifest_hash(text: &str) -> String {
    const MARK: &str = "[STATE]/m-";
    let mut parts = text.split(MARK);
    let mut out = parts.next().unwrap_or_default().to_string();
    for part in parts {
        let rest = part.trim_start_matches(|c: char| c.is_ascii_hexdigit());
        out.push_str(MARK);
        out.push_str(if rest.len() < part.len() {
            "[HASH]"
        } else {
            ""
        });
        out.push_str(rest);
    }
    out
}

fn shown_stream(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else if !s.ends_with('\n') {
        format!("{s}\n[no newline at the end]\n")
    } else if s.ends_with("\n\n") {
        format!("{s}[blank line at the end]\n")
    } else {
        s.to_string()
    }
}

impl World {
    /// Runs linkfile like [`World::run`] and shows the whole run (see [`Run::shown`]), for
    /// `insta::assert_snapshot!(w.snapshot_run(&["plan"]), @"...")`.
    pub(crate) fn snapshot_run(&self, args: &[&str]) -> String {
        self.run(args).shown()
    }

    /// A run with expectations, checked by [`Expect::run`]: what is not set must be empty (the
    /// exit code 0).
    pub(crate) fn expect<'w>(&'w self, args: &[&'w str]) -> Expect<'w> {
        Expect {
            world: self,
            args: args.to_vec(),
            code: 0,
            stdout: String::new(),
            stderr: String::new(),
        }
    }
}

/// A run and what it must give: `w.expect(&["plan"]).stdout("...").run()`. Unset, the exit code
/// is 0 and stdout and stderr are empty.
pub(crate) struct Expect<'w> {
    world: &'w World,
    args: Vec<&'w str>,
    code: u8,
    stdout: String,
    stderr: String,
}

impl Expect<'_> {
    pub(crate) fn code(mut self, code: u8) -> Self {
        self.code = code;
        self
    }

    pub(crate) fn stdout(mut self, text: &str) -> Self {
        self.stdout = text.to_string();
        self
    }

    pub(crate) fn stderr(mut self, text: &str) -> Self {
        self.stderr = text.to_string();
        self
    }

    /// Runs linkfile and panics, showing the whole run, unless exit code, stdout and stderr are
    /// exactly as expected (paths filtered as in [`World::run`]).
    #[track_caller]
    pub(crate) fn run(self) -> Run {
        let r = self.world.run(&self.args);
        let want = Run {
            code: self.code,
            stdout: self.stdout,
            raw_stdout: String::new(),
            stderr: self.stderr,
        };
        let same = (r.code, &r.stdout, &r.stderr) == (want.code, &want.stdout, &want.stderr);
        assert!(
            same,
            "linkfile {}\n=== did\n{}=== expected\n{}",
            self.args.join(" "),
            r.shown(),
            want.shown()
        );
        r
    }
}

/// Whether symlinks can be made, for the part of a test that needs them: if not, that part is a
/// counted skip as with `require_symlinks!` (the platform's on Windows, a broken setup elsewhere,
/// which fails under CI=true).
pub(crate) fn symlinks_for(part: &str) -> bool {
    if symlinks_work() {
        return true;
    }
    let why = if cfg!(windows) {
        Skip::Platform
    } else {
        Skip::Setup
    };
    skip(
        why,
        &format!("this system does not make symlinks, so {part} did not run"),
    );
    false
}

/// Windows separators as `/`: in JSON (stdout of `--json`) only the escaped `\\`, so that its
/// escapes (`\n`, `\"`) stay as they are; in other text every `\`.
fn windows_separators(s: &str) -> String {
    if s.trim_start().starts_with('{') {
        s.replace("\\\\", "/")
    } else {
        s.replace("\\\\", "/").replace('\\', "/")
    }
}
