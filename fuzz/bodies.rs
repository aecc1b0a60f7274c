//! The fuzz targets' bodies, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`, nightly)
//! and the bounded runs in `cargo test` (`tests/it/fuzz.rs`). Each takes any bytes, decodes them
//! into an input, and panics when a property breaks; a panic inside linkfile is a finding too.
//!
//! - [`manifest`]: manifest text (the bytes as they are, or a valid manifest mutated as the
//!   bytes say) through `manifest::parse`, `resolve::resolve` and
//!   `resolve::check_with_originals`: every error points inside the text and says what to do;
//!   every link resolved keeps the manifest's promises (absolute, normalised, outside the repo
//!   and the state folder, inside the given home, `to` inside the repo).
//! - [`planner`]: random places through `plan::plan_for`, checked against the decision table's
//!   promises (a conflict has no resolution and a hint; an `ok` or a released place is left
//!   alone; nothing linkfile does not own is removed without a backup; counts add up), then
//!   rendered for people and as JSON.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use linkfile::error::Diagnostic;
use linkfile::manifest::{EntryKind, LinkType, OnConflict};
use linkfile::observe::{Actual, FolderLink};
use linkfile::oplog::{Backup, BackupKind, OwnedLink};
use linkfile::plan::{self, Action, Input, Obstacle, Purpose, Reason, Resolution, Want};
use linkfile::platform::Flavour;
use linkfile::resolve::{self, Context, Desired, Extra};

/// Choices read from the fuzzer's bytes, zero once they run out.
pub(super) struct Choices<'a> {
    data: &'a [u8],
}

impl<'a> Choices<'a> {
    pub(super) fn new(data: &'a [u8]) -> Choices<'a> {
        Choices { data }
    }

    pub(super) fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let raw = if n <= 256 {
            usize::from(self.byte())
        } else {
            usize::from(u16::from_le_bytes([self.byte(), self.byte()]))
        };
        raw % n
    }

    pub(super) fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    pub(super) fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len())]
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

// ---------------------------------------------------------------------------------------------
// Manifests
// ---------------------------------------------------------------------------------------------

/// The valid manifests mutations start from (the README's is [`readme_manifest`]).
pub(super) const EXAMPLES: [&str; 2] = [
    include_str!("../examples/dotfiles/linkfile.toml"),
    include_str!("../examples/multi-machine/linkfile.toml"),
];

/// The manifest the README opens with.
pub(super) fn readme_manifest() -> &'static str {
    let readme = include_str!("../README.md");
    let start = readme
        .find("```toml\n")
        .expect("the README shows a manifest")
        + 8;
    let len = readme[start..].find("```").expect("its block is closed");
    &readme[start..start + len]
}

/// Every valid manifest mutations start from.
pub(super) fn seeds() -> Vec<&'static str> {
    let mut v = EXAMPLES.to_vec();
    v.push(readme_manifest());
    v
}

/// What mutations put inside a string value: path pieces, expansions, escapes, odd characters.
const PIECES: &[&str] = &[
    "~",
    "~/",
    "~root/",
    "${",
    "}",
    "{",
    "{{",
    "}}",
    "$$",
    "$",
    ":-",
    "${HOME}",
    "${XDG_CONFIG_HOME:-~/.config}",
    "${UNSET}",
    "${UNSET:-}",
    "${UNSET:-${HOME}}",
    "${DOTS}",
    "${BRACES}",
    "${EMPTY}",
    "{cfg}",
    "{nvim}",
    "{nope}",
    "..",
    "../",
    "/..",
    "./",
    "//",
    "/",
    "\\\\",
    "\\u0000",
    "\\u001b[31m",
    "\\n",
    "\\r",
    "\\t",
    "\\\"",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "\u{202e}",
    "\u{feff}",
    "\u{fffd}",
    "\u{200b}",
    "é",
    "e\u{301}",
    "İ",
    "ß",
    "\u{1f600}",
    "C:\\\\",
    "\\\\\\\\?\\\\",
    "*",
    "**",
    "[",
    "{a,b",
    " ",
    ".git",
    "linkfile.toml",
    "state",
];

/// What mutations put at the start of a line: table headers and keys.
const LINES: &[&str] = &[
    "[[link]]\n",
    "[links]\n",
    "[vars]\n",
    "[defaults]\n",
    "[link]\n",
    "[link.when]\n",
    "version = 1\n",
    "version = 2\n",
    "at = \"~/x\"\n",
    "at = \"~/.cfg\"\n",
    "at = \"/\"\n",
    "at = 1\n",
    "to = \"git/config\"\n",
    "to = \"nvim\"\n",
    "to = \"..\"\n",
    "to = [\"x\"]\n",
    "each = true\n",
    "each = \"yes\"\n",
    "ignore = [\"[\"]\n",
    "ignore = [\"**/\", \"{a,b\"]\n",
    "when = { os = \"linux\" }\n",
    "when = { os = \"plan9\" }\n",
    "when = { env = { EDITOR = \"vim\" } }\n",
    "when = { host = [] }\n",
    "link_type = \"hardlink\"\n",
    "link_type = \"junction\"\n",
    "on_conflict = \"adopt\"\n",
    "on_conflict = \"backup\"\n",
    "relative = true\n",
    "type = \"dir\"\n",
    "type = \"file\"\n",
    "fallback = [\"junction\", \"hardlink\"]\n",
    "fallback = [\"symlink\"]\n",
    "\"~/.x\" = \"nvim\"\n",
    "\"~/.x/y\" = \"git/config\"\n",
    "\"~\" = \"nvim\"\n",
    "\"~/.config\" = \"nvim\"\n",
    "x = \"{x}\"\n",
    "a = \"{b}\"\nb = \"{a}\"\n",
    "cfg = \"~/.local/state/linkfile\"\n",
    "cfg = \"/h/dotfiles\"\n",
    "cfg = \"${DOTS}\"\n",
    "# comment\n",
    "\n",
];

/// What mutations put anywhere: the TOML syntax itself.
const RAW: &[&str] = &[
    "\"",
    "'",
    "'''",
    "\"\"\"",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\u{0}",
    "=",
    "#",
    "[",
    "]",
    "[]",
    "{}",
    ",",
    ".",
    "1",
    "-1",
    "1e9",
    "9223372036854775808",
    "true",
    "\u{feff}",
];

/// `seed` changed as `c` says, mostly inside its string values (so that most of the result
/// still parses and reaches the resolver): pieces inserted once or many times, lines inserted,
/// copied or moved, ranges deleted, bytes replaced. Invalid UTF-8 becomes U+FFFD, as no
/// manifest is read otherwise.
pub(super) fn mutate(seed: &str, c: &mut Choices) -> String {
    let mut b = seed.as_bytes().to_vec();
    for _ in 0..1 + c.below(4) {
        let at = c.below(b.len() + 1);
        match c.below(10) {
            0..=3 => {
                let at = in_string(&b, c);
                b.splice(at..at, c.pick(PIECES).bytes());
            }
            4 => {
                // Long paths, deep nesting, long chains.
                let at = in_string(&b, c);
                let t = c.pick(PIECES).as_bytes();
                let times = 1 + c.below(512);
                b.splice(at..at, t.iter().copied().cycle().take(t.len() * times));
            }
            5 => {
                let dest = line_bounds(&b, at).0;
                b.splice(dest..dest, c.pick(LINES).bytes());
            }
            6 => {
                let (from, to) = line_bounds(&b, c.below(b.len() + 1));
                let line = b[from..to].to_vec();
                let dest = line_bounds(&b, at).0;
                b.splice(dest..dest, line);
            }
            7 => {
                let (from, to) = line_bounds(&b, at);
                let line: Vec<u8> = b.drain(from..to).collect();
                let dest = line_bounds(&b, c.below(b.len() + 1)).0;
                b.splice(dest..dest, line);
            }
            8 => {
                let end = (at + 1 + c.below(16)).min(b.len());
                b.drain(at..end);
            }
            _ if c.bool() && at < b.len() => b[at] = c.byte(),
            _ => {
                b.splice(at..at, c.pick(RAW).bytes());
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// A place inside one of the text's one-line basic strings (keys or values), as `c` says; any
/// place when there is none.
fn in_string(b: &[u8], c: &mut Choices) -> usize {
    let mut strings = Vec::new();
    let mut open = None;
    for (i, &x) in b.iter().enumerate() {
        match (x, open) {
            (b'"', None) => open = Some(i + 1),
            (b'"', Some(start)) => {
                strings.push(start..i);
                open = None;
            }
            (b'\n', _) => open = None,
            _ => {}
        }
    }
    if strings.is_empty() {
        return c.below(b.len() + 1);
    }
    let s = c.pick(&strings).clone();
    s.start + c.below(s.len() + 1)
}

/// The line (with its newline) around byte `i`.
fn line_bounds(b: &[u8], i: usize) -> (usize, usize) {
    let i = i.min(b.len());
    let start = b[..i]
        .iter()
        .rposition(|&x| x == b'\n')
        .map_or(0, |p| p + 1);
    let end = b[i..]
        .iter()
        .position(|&x| x == b'\n')
        .map_or(b.len(), |p| i + p + 1);
    (start, end)
}

/// The manifest text `data` stands for: after a first byte 0xFF (never the start of UTF-8
/// text), a seed mutated as the rest says; else the bytes themselves.
pub(super) fn manifest_text(data: &[u8]) -> String {
    match data.split_first() {
        Some((0xFF, rest)) => {
            let mut c = Choices::new(rest);
            let seeds = seeds();
            let seed = *c.pick(&seeds);
            mutate(seed, &mut c)
        }
        _ => String::from_utf8_lossy(data).into_owned(),
    }
}

/// The environment manifests are resolved in.
pub(super) fn env(name: &str) -> Option<String> {
    let v = match name {
        "HOME" => "/h",
        "XDG_CONFIG_HOME" => "/h/.config",
        "EDITOR" => "vim",
        "EMPTY" => "",
        "DOTS" => "../..",
        "SLASH" => "/",
        "REL" => "rel/path",
        "TILDE" => "~/x",
        "BRACES" => "{cfg}${HOME}",
        _ => return None,
    };
    Some(v.to_string())
}

/// Parse + resolve target: manifest text through the parser and the resolver, at home and in
/// an isolated home.
pub(super) fn manifest(data: &[u8]) {
    let text = manifest_text(data);
    check_manifest(&text);
}

/// Parses and resolves `text`; panics when an error does not point inside it or has no hint,
/// or a link breaks a rule the resolver promises.
pub(super) fn check_manifest(text: &str) {
    let path = Path::new("linkfile.toml");
    let manifest = match linkfile::manifest::parse(path, text) {
        Ok(m) => m,
        Err(diags) => return check_diagnostics(text, &diags, false),
    };
    let (home, repo, state) = (
        Path::new("/h"),
        Path::new("/h/dotfiles"),
        Path::new("/h/.local/state/linkfile"),
    );
    for isolated in [false, true] {
        let cx = Context {
            manifest_path: path,
            text,
            repo,
            home,
            env: &env,
            os: linkfile::platform::Os::LINUX,
            host: "fuzz",
            isolated,
            state,
            on_path: |name, _| name == "nvim",
            exists: |_| false,
        };
        let resolved = match resolve::resolve(&manifest, &cx) {
            Ok(r) => r,
            Err(diags) => {
                check_diagnostics(text, &diags, true);
                continue;
            }
        };
        for d in &resolved.links {
            check_desired(text, d, &cx);
        }
        // Only `each` entries may share an `at` (packages into one folder): their files are
        // checked once expanded.
        for (i, a) in resolved.links.iter().enumerate() {
            let dup = resolved.links[..i]
                .iter()
                .any(|b| b.at == a.at && (a.each().is_none() || b.each().is_none()));
            assert!(!dup, "two links at {}", a.at.display());
        }
        let kinds: Vec<_> = (0..resolved.links.len())
            .map(|i| [Some(EntryKind::File), Some(EntryKind::Dir), None][i % 3])
            .collect();
        if let Err(diags) = resolve::check_with_originals(&resolved.links, &kinds, &cx) {
            check_diagnostics(text, &diags, true);
        }
    }
}

/// What the resolver promises of every link.
fn check_desired(text: &str, d: &Desired, cx: &Context) {
    let (at, to) = (&d.at, &d.to);
    for span in [&d.at_span, &d.to_span] {
        assert!(
            span.start <= span.end && text.get(span.clone()).is_some_and(|s| !s.is_empty()),
            "span {span:?} of {} is not a part of the text",
            at.display()
        );
    }
    assert!(at.is_absolute(), "at {} is not absolute", at.display());
    assert_eq!(at, &linkfile::paths::normalize(at), "at is not normalised");
    assert!(at.parent().is_some(), "at is the root");
    let within = |p: &Path, dir: &Path| linkfile::paths::within(p, dir, cx.os);
    assert!(!within(at, cx.repo), "at {} is in the repo", at.display());
    assert!(!within(at, cx.state), "at {} is in the state", at.display());
    // An `each` entry names the folder its files go below, which may be the home itself (as
    // with stow); its files are checked once expanded.
    if d.each().is_none() {
        assert!(!within(cx.home, at), "at {} holds the home", at.display());
    }
    if cx.isolated {
        assert!(within(at, cx.home), "at {} is outside --home", at.display());
    }
    assert!(
        within(to, cx.repo),
        "to {} is outside the repo",
        to.display()
    );
    assert_eq!(to, &linkfile::paths::normalize(to), "to is not normalised");
    for p in [at, to] {
        assert!(
            !p.as_os_str().as_encoded_bytes().contains(&0),
            "NUL in a path"
        );
    }
    if !d.relative || d.link_type != LinkType::Symlink {
        assert_eq!(d.link_text(), to, "an absolute link's text is its original");
        assert_eq!(
            d.text, None,
            "an absolute link keeps no copy of its original"
        );
    }
}

/// Every error points at a place inside `text` (`strict`: at one of its characters, as errors
/// about a key or a value do) and says what to do.
pub(super) fn check_diagnostics(text: &str, diags: &[Diagnostic], strict: bool) {
    assert!(!diags.is_empty(), "an error without a diagnostic");
    let lines: Vec<&str> = text.split('\n').collect();
    for d in diags {
        let what = format!("{}:{}: {}", d.line, d.column, d.message);
        assert!(!d.message.trim().is_empty(), "an empty message");
        assert!(
            d.hint.as_ref().is_some_and(|h| !h.trim().is_empty()),
            "no hint: {what}"
        );
        assert!(
            (1..=lines.len()).contains(&d.line),
            "line out of the text: {what}"
        );
        // A lone carriage return may be the error: it counts, though it is not shown.
        let line = lines[d.line - 1];
        assert_eq!(
            d.source_line,
            line.trim_end_matches('\r'),
            "not the text's line: {what}"
        );
        let chars = line.chars().count();
        assert!(
            d.column >= 1 && d.column - 1 <= chars,
            "column past the line: {what}"
        );
        if strict {
            assert!(d.column - 1 < chars, "points past the line's end: {what}");
        }
        assert!(d.width >= 1);
    }
}

// ---------------------------------------------------------------------------------------------
// The planner
// ---------------------------------------------------------------------------------------------

const ATS: [&str; 4] = ["/h/.a", "/h/.a/b", "/h/.c", "/h/d/e"];
const TOS: [&str; 3] = ["/r/x", "/r/y/z", "/r/nvim"];
/// Link texts: the originals, relative ones, elsewhere, dangling.
const TEXTS: [&str; 6] = [
    "/r/x",
    "/r/y/z",
    "../r/x",
    "/elsewhere",
    "nowhere",
    "/r/nvim",
];

fn path(c: &mut Choices, from: &[&str]) -> PathBuf {
    PathBuf::from(c.pick(from))
}

fn kind(c: &mut Choices) -> EntryKind {
    *c.pick(&[EntryKind::File, EntryKind::Dir])
}

fn link_type(c: &mut Choices) -> LinkType {
    *c.pick(&[LinkType::Symlink, LinkType::Hardlink, LinkType::Junction])
}

fn policy(c: &mut Choices) -> OnConflict {
    *c.pick(&[OnConflict::Fail, OnConflict::Backup, OnConflict::Adopt])
}

fn desired(c: &mut Choices) -> Desired {
    let to = path(c, &TOS);
    let relative = c.bool();
    let text = linkfile::resolve::text_beside(&to, c.bool().then(|| path(c, &TEXTS)));
    let fallback = match c.below(4) {
        0 => vec![LinkType::Junction, LinkType::Hardlink],
        1 => vec![LinkType::Hardlink],
        _ => vec![],
    };
    let fell_back = c
        .bool()
        .then(|| "symlinks are not permitted here".to_string());
    Desired {
        at: path(c, &ATS),
        text,
        to,
        kind: c.bool().then(|| kind(c)),
        at_span: 0..1,
        to_span: 0..1,
        on_conflict: policy(c),
        link_type: link_type(c),
        relative,
        extra: Extra {
            fallback,
            fell_back,
            each: c
                .bool()
                .then(|| linkfile::resolve::Ignore::compile(vec!["*.swp".into()]).0),
            optional: c.bool(),
            dir_mode: c.bool().then_some(0o700),
            tags: Vec::new(),
            warning: None,
        }
        .boxed(),
    }
}

fn owned(c: &mut Choices, at: &Path) -> OwnedLink {
    OwnedLink {
        at: at.to_path_buf(),
        text: path(c, &TEXTS),
        kind: kind(c),
        hard: c.bool(),
        junction: c.bool(),
        fallback: c.bool().then(|| "no symlinks".into()),
        tags: Vec::new(),
    }
}

fn backup(c: &mut Choices, at: &Path) -> Backup {
    let what = *c.pick(&[
        BackupKind::File,
        BackupKind::Dir,
        BackupKind::Link,
        BackupKind::Original,
        BackupKind::FolderLink,
    ]);
    Backup {
        at: at.to_path_buf(),
        what,
        stored: c.bool().then(|| PathBuf::from("/s/m-1/backups/1/x")),
        text: c.bool().then(|| path(c, &TEXTS)),
        adopted_from: c.bool().then(|| at.to_path_buf()),
        adopted_fingerprint: c.bool().then(|| "f:3:abc".into()),
    }
}

fn actual(c: &mut Choices) -> Actual {
    match c.below(9) {
        0 => Actual::Missing,
        1 => Actual::Link {
            text: path(c, &TEXTS),
            flavour: match c.below(4) {
                0 => Some(Flavour::File),
                1 => Some(Flavour::Dir),
                2 => Some(Flavour::Junction),
                _ => None,
            },
            target_exists: c.bool(),
        },
        2 => Actual::File,
        3 => Actual::Dir,
        4 => Actual::Other,
        5 => Actual::MountPoint,
        6 => Actual::ParentIsFile(PathBuf::from("/h/d")),
        7 => Actual::HardLinked,
        _ => Actual::OwnedHardLink,
    }
}

fn obstacle(c: &mut Choices) -> Obstacle {
    match c.below(5) {
        0 => Obstacle::ParentNotWritable {
            dir: PathBuf::from("/h"),
            why: "read-only file system".into(),
        },
        1 => Obstacle::CrossVolume,
        2 => Obstacle::NetworkDrive(PathBuf::from("/net")),
        3 => Obstacle::NotPermitted("symlinks need Developer Mode".into()),
        _ => Obstacle::NotTheAdoptedFile(PathBuf::from("/r/x")),
    }
}

/// One place, as the bytes say.
pub(super) fn input(c: &mut Choices) -> Input {
    let desired = desired(c);
    let at = desired.at.clone();
    let want = match c.below(4) {
        0 => Want::Link,
        1 => Want::Nothing,
        2 => Want::Restore(Box::new(backup(c, &at))),
        _ => Want::Dropped,
    };
    // Sometimes exactly what apply records for the wanted link (kept as a mark).
    let owned = c.bool().then(|| match c.below(3) {
        0 => plan::recorded_link(&desired, kind(c)),
        _ => owned(c, &at),
    });
    let original = c.bool().then(|| kind(c));
    let texts = c.bool().then(|| {
        let a = String::from_utf8_lossy(&c.data[..c.data.len().min(40)]).into_owned();
        Box::new((a, "set number\nsyntax on\n".to_string()))
    });
    Input {
        want,
        owned: owned.map(|o| plan::Owned::of(o, &desired)),
        policy: policy(c),
        same_bytes: c.bool(),
        original,
        actual: actual(c),
        texts,
        obstacle: (c.below(4) == 0).then(|| Box::new(obstacle(c))),
        folder_link: (c.below(4) == 0).then(|| {
            Arc::new(FolderLink {
                at: PathBuf::from(*c.pick(&["/h/.a", "/h/d"])),
                text: path(c, &TEXTS),
                into_repo: c.bool(),
            })
        }),
        // Another tool's link that resolves to the original (only links are asked).
        resolves: c.bool(),
        // The original itself at the place: only when there is one.
        is_original: original.is_some() && c.below(4) == 0,
        adopt_refused: c
            .bool()
            .then(|| "the original /r/x is a link in the repo".into()),
        undiffable: c.bool().then(|| {
            Box::new(plan::Undiffable {
                binary: c.bool(),
                there: c.below(1 << 20) as u64,
                original: c.below(1 << 20) as u64,
            })
        }),
        desired,
    }
}

/// Planner target: up to 8 places for apply, undo or unlink.
pub(super) fn planner(data: &[u8]) {
    let mut c = Choices::new(data);
    let purpose = *c.pick(&[Purpose::Apply, Purpose::Undo, Purpose::Unlink]);
    let inputs: Vec<Input> = (0..1 + c.below(8)).map(|_| input(&mut c)).collect();
    let _ = c.rest();
    check_plan(inputs, purpose);
}

/// Plans `inputs` and checks every entry against its input, and the plan as a whole.
pub(super) fn check_plan(inputs: Vec<Input>, purpose: Purpose) {
    let p = plan::plan_for(inputs.clone(), purpose);
    assert_eq!(p.entries.len(), inputs.len(), "one entry per place");
    for (i, e) in inputs.iter().zip(&p.entries) {
        check_entry(i, e, purpose);
    }
    let n = p.counts();
    assert_eq!(
        n.ok + n.create + n.fix + n.remove + n.conflict + n.release,
        p.entries.len(),
        "counts add up"
    );
    assert_eq!(n.changes(), n.create + n.fix + n.remove);
    assert_eq!(
        n.pending(),
        p.entries.iter().any(|e| e.action() != Action::Ok),
        "pending is anything but ok"
    );
    // The folder links unfolded are those of the links made beyond one, each once.
    for (k, u) in p.unfold.iter().enumerate() {
        assert!(
            !p.unfold[..k].iter().any(|v| v.at == u.at),
            "unfolded twice"
        );
        assert!(p.entries.iter().any(|e| e.action() == Action::Create
            && e.folder_link.as_ref().is_some_and(|l| l.at == u.at)));
    }
    for e in &p.entries {
        if let (Action::Create, Some(l)) = (e.action(), &e.folder_link) {
            assert!(p.unfold.iter().any(|u| u.at == l.at), "not unfolded");
        }
    }
    render(&p);
}

fn check_entry(i: &Input, e: &plan::Entry, purpose: Purpose) {
    use Action::*;
    let what = format!(
        "{:?} {:?} {:?} {:?} {:?}",
        e.action(),
        e.reason,
        e.resolution(),
        i.want,
        i.actual
    );
    assert_eq!(e.desired, i.desired);
    assert_eq!(e.want, i.want);
    assert_eq!(e.owned, i.owned);
    assert_eq!(e.observed, i.actual);
    assert_eq!(e.kind, i.original);
    check_action_fields(e, &what);
    let beyond_folder_link = i.folder_link.is_some();
    match (&i.want, e.action()) {
        (Want::Link, Create | Fix | Conflict | Ok) => {}
        (Want::Nothing | Want::Restore(_), Ok | Remove | Conflict) => {}
        (Want::Dropped, Ok | Remove | Release | Conflict) => {}
        _ => panic!("an action the want never takes: {what}"),
    }
    // A write linkfile cannot make is never planned.
    if i.obstacle.is_some() {
        assert!(!matches!(e.action(), Create | Fix | Remove), "{what}");
    }
    if i.want == Want::Link && i.original.is_none() {
        assert_eq!(
            (e.action(), e.reason),
            (Conflict, Some(Reason::OriginalMissing)),
            "{what}"
        );
    }
    if beyond_folder_link {
        // Nothing is written, removed or put back through a folder link: only the link made
        // after unfolding it (its resolution is that backup).
        if e.action() == Create {
            assert_eq!(e.resolution(), Some(Resolution::Backup), "{what}");
        }
        assert!(!matches!(e.action(), Fix | Remove), "{what}");
    } else {
        check_in_place(i, e, &what);
    }
    check_resolution(i, e, &what);
    if purpose != Purpose::Apply
        && let Some(h) = linkfile::render::hint::text(e)
    {
        assert!(
            !h.contains("--on-conflict") && !h.contains("apply with"),
            "a hint for {} names apply's flags: {h}",
            purpose.command()
        );
    }
}

/// What each action carries: a reason and hint for a conflict, nothing for an ok, no move for a
/// release.
fn check_action_fields(e: &plan::Entry, what: &str) {
    use Action::*;
    match e.action() {
        Conflict => {
            assert_eq!(e.resolution(), None, "a conflict resolved: {what}");
            assert!(e.reason.is_some(), "a conflict without a reason: {what}");
            assert!(e.hint.is_some(), "a conflict without a hint: {what}");
        }
        Ok => {
            assert_eq!((e.reason, e.resolution()), (None, None), "{what}");
            assert!(e.hint.is_none() && e.diff.is_none(), "{what}");
        }
        Release => {
            assert_eq!(e.resolution(), None, "a release moves something: {what}");
            assert_eq!(e.want, Want::Dropped, "{what}");
        }
        Create | Fix | Remove => {}
    }
}

/// A resolution only where the policy and what is there allow it; a diff only for a differing
/// file in the way.
fn check_resolution(i: &Input, e: &plan::Entry, what: &str) {
    match e.resolution() {
        Some(Resolution::Adopt) => {
            assert_eq!(i.policy, OnConflict::Adopt, "{what}");
            assert!(i.adopt_refused.is_none(), "adopted through a link: {what}");
        }
        Some(Resolution::Backup) => {
            assert_ne!(i.policy, OnConflict::Fail, "fail moved something: {what}");
        }
        Some(Resolution::Restore) => assert!(matches!(i.want, Want::Restore(_)), "{what}"),
        Some(Resolution::SameContent) => {
            assert!(i.same_bytes && i.actual == Actual::File, "{what}")
        }
        None => {}
    }
    if e.diff.is_some() {
        assert!(
            e.reason == Some(Reason::FileInTheWay) && !i.same_bytes,
            "{what}"
        );
    }
}

/// A place observed directly (no folder link on the way): what is there decides.
fn check_in_place(i: &Input, e: &plan::Entry, what: &str) {
    use Action::*;
    if i.want == Want::Link && i.is_original {
        assert_eq!(
            (e.action(), e.reason),
            (Conflict, Some(Reason::SameFile)),
            "{what}"
        );
    }
    if i.actual == Actual::MountPoint {
        assert!(
            matches!(e.action(), Conflict | Release),
            "a mount point touched: {what}"
        );
    }
    match e.action() {
        // Only a link is fixed: a real file or folder is moved away first (a create with a
        // resolution).
        Fix => assert!(
            matches!(i.actual, Actual::Link { .. } | Actual::OwnedHardLink),
            "{what}"
        ),
        Create => match i.actual {
            Actual::Missing => assert_eq!(e.resolution(), None, "{what}"),
            Actual::File | Actual::Dir => assert!(e.resolution().is_some(), "{what}"),
            _ => panic!("made a link over something else: {what}"),
        },
        // What linkfile does not own any more is removed only into a backup.
        Remove => assert!(
            plan::still_owned(i.owned_link().as_deref(), &i.actual)
                || e.resolution() == Some(Resolution::Backup)
                || (e.resolution() == Some(Resolution::Restore) && i.actual == Actual::Missing),
            "removed what linkfile does not own: {what}"
        ),
        Ok | Conflict | Release => {}
    }
}

/// The plan shown to people and as JSON; the JSON says what the counts say.
fn render(p: &plan::Plan) {
    use linkfile::render::{human, json};
    let view = human::View {
        home: Path::new("/h"),
        repo: Path::new("/r"),
        palette: linkfile::color::Palette::COLOURED,
        verbose: true,
        // A short cut, and no diff, as well as the whole.
        diff_lines: [Some(usize::MAX), Some(1), None][p.entries.len() % 3],
    };
    let _ = view.entries(p);
    let _ = view.conflicts(p);
    let _ = human::summary(&p.counts());
    let text = json::Report::new(p).to_json();
    let v: serde_json::Value = serde_json::from_str(&text).expect("the report is JSON");
    let n = p.counts();
    assert_eq!(v["changes"], n.changes());
    assert_eq!(v["conflicts"], n.conflict);
    assert_eq!(v["entries"].as_array().map(Vec::len), Some(p.entries.len()));
}
