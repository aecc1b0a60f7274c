//! Which primitive makes each link, and what stops a write before it is tried.
//!
//! The manifest asks for a symlink, a hard link or a junction. Where symlinks cannot be made
//! (Windows without Developer Mode or elevation, a filesystem without them, a system that fakes
//! them) and the link's `fallback` allows, a junction stands in for a folder's link and a hard
//! link for a file's — never silently: the plan shows which and why, and the operation records
//! it. The decision is made before the first write, by trying each primitive once per folder
//! under a temporary name ([`Probes`]), so an apply never half-succeeds.
//!
//! [`choose`] is the ladder itself: a pure function fed with what the tries answered (raw OS
//! error codes), unit-tested on every platform. [`Obstacles`] finds what would refuse a write
//! (a folder that is not writable, a hard link across volumes, a junction on a network drive)
//! so that the plan shows it as a conflict and apply writes nothing.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::manifest::{EntryKind, LinkType};
use crate::plan::{Obstacle, Want};
use crate::platform::{self, explain::Os};
use crate::resolve::Desired;
use crate::show::Shown as _;

/// Why trying a primitive failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The raw OS error code; `None` when the system claimed success but made nothing (or
    /// something else).
    pub code: Option<i32>,
    /// What the OS said.
    pub message: String,
}

impl From<io::Error> for Refusal {
    fn from(e: io::Error) -> Refusal {
        Refusal {
            code: e.raw_os_error(),
            message: e.to_string(),
        }
    }
}

/// The primitive a link will be made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    /// What makes the link.
    pub link_type: LinkType,
    /// Why it stands in for a symlink, when it does.
    pub because: Option<String>,
}

/// Whether a refused symlink means "symlinks cannot be made here", the case `fallback` is for —
/// and not a folder that refuses every write (read-only, no permission), which no other
/// primitive would get past either.
pub(crate) fn symlinks_unavailable(os: Os, code: Option<i32>) -> bool {
    use platform::explain::codes::*;
    match (os, code) {
        // Success reported, nothing made (Wine).
        (_, None) => true,
        // No privilege; a filesystem without reparse points (FAT); not supported there.
        (Os::Windows, Some(c)) => matches!(
            c,
            ERROR_PRIVILEGE_NOT_HELD | ERROR_INVALID_FUNCTION | ERROR_NOT_SUPPORTED
        ),
        // EPERM: the filesystem does not support symlinks (vfat, exFAT).
        (Os::Unix, Some(c)) => c == 1,
    }
}

fn describe(r: &Refusal) -> String {
    match r.code {
        Some(c) => format!("{} (os error {c})", strip_code(&r.message)),
        None => r.message.clone(),
    }
}

/// io::Error's text ends with " (os error N)"; the code is shown once.
fn strip_code(message: &str) -> &str {
    message
        .rfind(" (os error ")
        .map_or(message, |i| &message[..i])
}

/// The ladder: the primitive for one link whose original is a `kind`, on `os`. `tried`
/// answers whether a primitive can be made in the link's `folder` (it is asked only what the
/// ladder needs). `Err` says why no primitive fits.
pub(crate) fn choose(
    asked: LinkType,
    fallback: &[LinkType],
    kind: EntryKind,
    os: Os,
    folder: &Path,
    tried: &mut dyn FnMut(LinkType) -> Result<(), Refusal>,
) -> Result<Choice, String> {
    let plain = Choice {
        link_type: asked,
        because: None,
    };
    if asked != LinkType::Symlink || fallback.is_empty() {
        return Ok(plain);
    }
    let refused = match tried(LinkType::Symlink) {
        Ok(()) => return Ok(plain),
        Err(r) if !symlinks_unavailable(os, r.code) => return Ok(plain),
        Err(r) => r,
    };
    let why = format!(
        "symlinks cannot be made in {}: {}",
        folder.shown(),
        describe(&refused)
    );
    let mut notes = Vec::new();
    for &f in fallback {
        let note = match (f, kind) {
            (LinkType::Junction, EntryKind::File) => "junction: only for folders".to_string(),
            (LinkType::Junction, EntryKind::Dir) if os != Os::Windows => {
                "junction: only on Windows".to_string()
            }
            (LinkType::Hardlink, EntryKind::Dir) => "hard link: only for files".to_string(),
            (LinkType::Junction | LinkType::Hardlink, _) => match tried(f) {
                Ok(()) => {
                    return Ok(Choice {
                        link_type: f,
                        because: Some(format!("{why}; a {} instead (fallback)", name(f))),
                    });
                }
                Err(r) => format!("{}: {}", name(f), describe(&r)),
            },
            (LinkType::Symlink, _) => continue,
        };
        notes.push(note);
    }
    let mut message = format!("{why}; no fallback fits ({})", notes.join("; "));
    if let Some(hint) = refused.code.and_then(|c| platform::hint_for_code(os, c)) {
        message.push_str(". ");
        message.push_str(&hint);
    }
    Err(message)
}

/// The name of a primitive in messages.
pub(crate) fn name(t: LinkType) -> &'static str {
    match t {
        LinkType::Symlink => "symlink",
        LinkType::Hardlink => "hard link",
        LinkType::Junction => "junction",
    }
}

/// The nearest folder at or above `dir` that exists: where a link in `dir` is tried, since
/// apply makes the missing folders below it.
pub(crate) fn existing_folder(dir: &Path) -> Option<&Path> {
    dir.ancestors()
        .find(|a| crate::observe::is_folder_followed(a))
}

/// Where a link in `dir` is tried: the nearest existing folder, but never through a folder link
/// below `home` (stow's folding, dotbot): nothing is written through one, not even a probe, and
/// apply makes a real folder in its place, so the folder link's own folder is asked instead.
pub(crate) fn probe_folder<'a>(dir: &'a Path, home: &Path) -> Option<&'a Path> {
    let topmost_link = dir
        .ancestors()
        .take_while(|a| a.as_os_str().len() > home.as_os_str().len() && a.starts_with(home))
        .filter(|a| crate::observe::is_link(a))
        .last();
    existing_folder(topmost_link.and_then(Path::parent).unwrap_or(dir))
}

/// Chooses the primitive of every link that asks for a symlink with a `fallback`, trying each
/// primitive once per folder (see [`Probes`]); returns, per link, why none fits. `right` says
/// which links are already what they should be (nothing is tried for them).
pub(crate) fn choose_all(
    desired: &mut [Desired],
    kinds: &[Option<EntryKind>],
    right: &[bool],
    home: &Path,
) -> Vec<Option<Obstacle>> {
    let mut probes = Probes::new(home);
    desired
        .iter_mut()
        .zip(kinds)
        .zip(right)
        .map(|((d, kind), right)| match (kind, right) {
            (Some(kind), false) => probes.choose(d, *kind),
            _ => None,
        })
        .collect()
}

/// The fallback probes: whether a primitive can be made in a folder, found by making one there
/// under a temporary name and removing it at once — the only writes outside the writer
/// ([`crate::apply`]), made by the planning pipeline's probe stage and by `doctor`, because
/// nothing short of trying tells (Windows answers a symlink by privilege, Developer Mode and
/// filesystem; Wine reports success and makes nothing). Each primitive is tried once per folder
/// (and kind of original).
pub(crate) struct Probes {
    /// Folder links below it are not probed through (see [`probe_folder`]).
    home: PathBuf,
    tries: HashMap<(PathBuf, LinkType, EntryKind), Result<(), Refusal>>,
    /// Per folder: whether it is on a network drive.
    remote: HashMap<PathBuf, bool>,
}

impl Probes {
    /// Probes the folders links go in below `home`.
    pub(crate) fn new(home: &Path) -> Probes {
        Probes {
            home: home.to_path_buf(),
            tries: HashMap::new(),
            remote: HashMap::new(),
        }
    }

    /// Chooses the primitive of `d`, whose original is a `kind`: changes `link_type` (and the
    /// link text: a junction or hard link holds the absolute path) when it falls back. A
    /// junction asked for by name is tried too, so that a volume without them refuses it
    /// before any write. Returns why no primitive fits.
    pub(crate) fn choose(&mut self, d: &mut Desired, kind: EntryKind) -> Option<Obstacle> {
        if d.link_type == LinkType::Symlink && platform::LINKS_HAVE_FLAVOUR {
            warn_on_network(d, &mut self.remote);
        }
        let junction = d.link_type == LinkType::Junction;
        if !junction && (d.link_type != LinkType::Symlink || d.fallback().is_empty()) {
            return None;
        }
        let dir = d.at.parent().and_then(|p| probe_folder(p, &self.home))?;
        let dir = dir.to_path_buf();
        if junction {
            // A junction holds an absolute path that must exist in every session: not one on
            // a SUBST drive.
            d.set_link_text(platform::without_subst(&d.to));
            return self.junction_refusal(&dir, &d.to, kind);
        }
        let (to, text) = (d.to.clone(), d.link_text().to_path_buf());
        let mut tried = |t: LinkType| self.try_once(&dir, t, kind, &to, &text);
        match choose(
            d.link_type,
            d.fallback(),
            kind,
            Os::current(),
            &dir,
            &mut tried,
        ) {
            Ok(Choice {
                link_type,
                because: Some(because),
            }) => {
                d.link_type = link_type;
                d.text = if link_type == LinkType::Junction {
                    crate::resolve::text_beside(&d.to, Some(platform::without_subst(&d.to)))
                } else {
                    None
                };
                d.extra.get_or_insert_default().fell_back = Some(because);
                None
            }
            Ok(_) => None,
            Err(why) => Some(Obstacle::NotPermitted(why)),
        }
    }

    /// A junction asked for by name: refused before any write where junctions cannot be made.
    fn junction_refusal(&mut self, dir: &Path, to: &Path, kind: EntryKind) -> Option<Obstacle> {
        let r = self.try_once(dir, LinkType::Junction, kind, to, to).err()?;
        let mut why = format!(
            "junctions cannot be made in {}: {}",
            dir.shown(),
            describe(&r)
        );
        if let Some(hint) = r
            .code
            .and_then(|c| platform::hint_for_code(Os::current(), c))
        {
            why = format!("{why}; {hint}");
        }
        Some(Obstacle::NotPermitted(why))
    }

    /// Makes a `t` in `dir` to `to` (a symlink holding `text`) under a temporary name, once per
    /// folder, primitive and kind of original.
    fn try_once(
        &mut self,
        dir: &Path,
        t: LinkType,
        kind: EntryKind,
        to: &Path,
        text: &Path,
    ) -> Result<(), Refusal> {
        self.tries
            .entry((dir.to_path_buf(), t, kind))
            .or_insert_with(|| {
                let made = match t {
                    LinkType::Symlink => platform::probe_symlink(dir, text, kind),
                    LinkType::Hardlink => platform::probe_hardlink(dir, to),
                    LinkType::Junction => platform::probe_junction(dir, to)
                        .unwrap_or_else(|| Err(io::ErrorKind::Unsupported.into())),
                };
                made.map_err(Refusal::from)
            })
            .clone()
    }
}

/// Warns about a symlink whose place is on a network folder (Windows does not follow
/// remote symlinks by default); one look per folder.
fn warn_on_network(d: &mut Desired, remote: &mut HashMap<PathBuf, bool>) {
    let mut on_network = |p: &Path| {
        let folder = p.parent().unwrap_or(p).to_path_buf();
        *remote
            .entry(folder)
            .or_insert_with_key(|f| platform::on_network_drive(f))
    };
    let at_remote = on_network(&d.at);
    let to_remote = at_remote && on_network(&d.to);
    if let Some(w) = platform::volume::network_symlink_warning(at_remote, to_remote) {
        d.extra.get_or_insert_default().warning = Some(w);
    }
}

/// Finds what would refuse a write, with one look per folder (and per volume question).
pub(crate) struct Obstacles {
    /// Folder links below it are not looked through (see [`probe_folder`]).
    home: PathBuf,
    writable: HashMap<PathBuf, Option<Obstacle>>,
    /// The folder asked last, and its answer: links come folder by folder.
    last_writable: Option<(PathBuf, Option<Obstacle>)>,
    volumes: HashMap<PathBuf, Option<u64>>,
    /// Per folder: why its volume cannot hold hard links (FAT), asked once.
    no_hard_links: HashMap<PathBuf, Option<String>>,
}

impl Obstacles {
    /// Looks at the folders links go in below `home`.
    pub(crate) fn new(home: &Path) -> Obstacles {
        Obstacles {
            home: home.to_path_buf(),
            writable: HashMap::new(),
            last_writable: None,
            volumes: HashMap::new(),
            no_hard_links: HashMap::new(),
        }
    }

    /// Why the folder `parent` cannot be written in, if it cannot: probed once per folder.
    fn writable_folder(&mut self, parent: &Path) -> Option<Obstacle> {
        let w = match self.writable.get(parent) {
            Some(w) => w.clone(),
            None => {
                let w = probe_folder(parent, &self.home).and_then(|dir| {
                    platform::writable_folder(dir)
                        .err()
                        .map(|e| Obstacle::ParentNotWritable {
                            dir: dir.to_path_buf(),
                            why: describe(&Refusal::from(e)),
                        })
                });
                self.writable.insert(parent.to_path_buf(), w.clone());
                w
            }
        };
        self.last_writable = Some((parent.to_path_buf(), w.clone()));
        w
    }

    /// What would stop the write at `d`'s place (for a wanted link: making it; otherwise:
    /// removing or restoring what is there).
    pub(crate) fn check(&mut self, d: &Desired, want: &Want) -> Option<Obstacle> {
        let parent = crate::paths::parent(&d.at)?;
        // Keyed by the link's own folder: one look per folder, not per link.
        let last = self.last_writable.as_ref();
        let writable = match last.filter(|(dir, _)| dir.as_os_str() == parent.as_os_str()) {
            Some((_, w)) => w.clone(),
            None => self.writable_folder(parent),
        };
        if writable.is_some() || *want != Want::Link {
            return writable;
        }
        if d.link_type == LinkType::Symlink {
            return None;
        }
        let dir = probe_folder(parent, &self.home)?.to_path_buf();
        match d.link_type {
            LinkType::Hardlink => {
                // Asked for by name on a volume without hard links: refused while planning.
                let refusal = self
                    .no_hard_links
                    .entry(dir.clone())
                    .or_insert_with(|| platform::hard_link_refusal(&dir));
                if let Some(why) = refusal {
                    return Some(Obstacle::NotPermitted(why.clone()));
                }
                let here = self.volume(&dir);
                let there = self.volume(&d.to);
                (here.is_some() && there.is_some() && here != there)
                    .then_some(Obstacle::CrossVolume)
            }
            LinkType::Junction => [&dir, &d.to]
                .into_iter()
                .find(|p| platform::on_network_drive(p))
                .map(|p| Obstacle::NetworkDrive(p.to_path_buf())),
            LinkType::Symlink => None,
        }
    }

    /// The volume of `path`, asked once per path (a folder beside another may be a mount).
    fn volume(&mut self, path: &Path) -> Option<u64> {
        if let Some(v) = self.volumes.get(path) {
            return *v;
        }
        let v = platform::volume_of(path).ok();
        self.volumes.insert(path.to_path_buf(), v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::explain::codes;

    fn refused(code: i32) -> Result<(), Refusal> {
        Err(Refusal {
            code: Some(code),
            message: format!("refused (os error {code})"),
        })
    }

    /// Runs the ladder with fixed answers, recording what it tried.
    fn ladder(
        asked: LinkType,
        fallback: &[LinkType],
        kind: EntryKind,
        os: Os,
        answers: &[(LinkType, Result<(), Refusal>)],
    ) -> (Result<Choice, String>, Vec<LinkType>) {
        let mut asked_for = Vec::new();
        let result = choose(asked, fallback, kind, os, Path::new("/h"), &mut |t| {
            asked_for.push(t);
            answers
                .iter()
                .find(|(a, _)| *a == t)
                .map_or(Ok(()), |(_, r)| r.clone())
        });
        (result, asked_for)
    }

    const BOTH: &[LinkType] = &[LinkType::Junction, LinkType::Hardlink];

    #[test]
    fn without_fallback_nothing_is_tried() {
        let (r, tried) = ladder(LinkType::Symlink, &[], EntryKind::File, Os::Windows, &[]);
        assert_eq!(r.unwrap().link_type, LinkType::Symlink);
        assert!(tried.is_empty());
        // Asking for a hard link or junction is never a fallback.
        let (r, tried) = ladder(LinkType::Junction, BOTH, EntryKind::Dir, Os::Windows, &[]);
        assert_eq!(r.unwrap().link_type, LinkType::Junction);
        assert!(tried.is_empty());
    }

    #[test]
    fn symlinks_allowed_means_symlinks() {
        let (r, tried) = ladder(LinkType::Symlink, BOTH, EntryKind::Dir, Os::Windows, &[]);
        assert_eq!(
            r.unwrap(),
            Choice {
                link_type: LinkType::Symlink,
                because: None
            }
        );
        assert_eq!(tried, [LinkType::Symlink]);
    }

    #[test]
    fn privilege_not_held_falls_back_to_a_junction_for_a_folder() {
        let answers = [(LinkType::Symlink, refused(codes::ERROR_PRIVILEGE_NOT_HELD))];
        let (r, tried) = ladder(
            LinkType::Symlink,
            BOTH,
            EntryKind::Dir,
            Os::Windows,
            &answers,
        );
        let c = r.unwrap();
        assert_eq!(c.link_type, LinkType::Junction);
        let because = c.because.unwrap();
        assert!(
            because.starts_with("symlinks cannot be made in /h: "),
            "{because}"
        );
        assert!(because.contains("os error 1314"), "{because}");
        assert!(because.contains("a junction instead"), "{because}");
        assert_eq!(tried, [LinkType::Symlink, LinkType::Junction]);
    }

    #[test]
    fn privilege_not_held_falls_back_to_a_hard_link_for_a_file() {
        let answers = [(LinkType::Symlink, refused(codes::ERROR_PRIVILEGE_NOT_HELD))];
        let (r, tried) = ladder(
            LinkType::Symlink,
            BOTH,
            EntryKind::File,
            Os::Windows,
            &answers,
        );
        assert_eq!(r.unwrap().link_type, LinkType::Hardlink);
        // A junction is never tried for a file.
        assert_eq!(tried, [LinkType::Symlink, LinkType::Hardlink]);
    }

    #[test]
    fn the_order_of_fallback_is_kept_and_refusals_move_down_the_ladder() {
        let answers = [
            (LinkType::Symlink, refused(codes::ERROR_PRIVILEGE_NOT_HELD)),
            (LinkType::Junction, refused(codes::ERROR_NOT_SUPPORTED)),
        ];
        // A folder: the junction is refused and a hard link does not fit a folder.
        let (r, _) = ladder(
            LinkType::Symlink,
            BOTH,
            EntryKind::Dir,
            Os::Windows,
            &answers,
        );
        let why = r.unwrap_err();
        assert!(why.contains("junction: refused (os error 50)"), "{why}");
        assert!(why.contains("hard link: only for files"), "{why}");
        // The three fixes for 1314 are named.
        assert!(
            why.contains("Developer Mode") && why.contains("elevated"),
            "{why}"
        );
    }

    #[test]
    fn a_hard_link_across_volumes_is_named() {
        let answers = [
            (LinkType::Symlink, refused(codes::ERROR_PRIVILEGE_NOT_HELD)),
            (LinkType::Hardlink, refused(codes::ERROR_NOT_SAME_DEVICE)),
        ];
        let (r, _) = ladder(
            LinkType::Symlink,
            &[LinkType::Hardlink],
            EntryKind::File,
            Os::Windows,
            &answers,
        );
        assert!(r.unwrap_err().contains("hard link: refused (os error 17)"));
    }

    #[test]
    fn a_folder_that_refuses_every_write_is_not_a_reason_to_fall_back() {
        // Access denied, read-only: another primitive would be refused too; the symlink stays
        // and the folder's problem is reported as such.
        for (os, code) in [
            (Os::Windows, codes::ERROR_ACCESS_DENIED),
            (Os::Unix, 30),
            (Os::Unix, 13),
        ] {
            let answers = [(LinkType::Symlink, refused(code))];
            let (r, tried) = ladder(LinkType::Symlink, BOTH, EntryKind::File, os, &answers);
            assert_eq!(r.unwrap().link_type, LinkType::Symlink);
            assert_eq!(tried, [LinkType::Symlink]);
        }
    }

    #[test]
    fn a_faked_symlink_falls_back() {
        // Wine: success reported, nothing made.
        let answers = [(
            LinkType::Symlink,
            Err(Refusal {
                code: None,
                message: "the system reported success but made no link".into(),
            }),
        )];
        let (r, _) = ladder(
            LinkType::Symlink,
            BOTH,
            EntryKind::File,
            Os::Windows,
            &answers,
        );
        let c = r.unwrap();
        assert_eq!(c.link_type, LinkType::Hardlink);
        assert!(c.because.unwrap().contains("made no link"));
    }

    #[test]
    fn junctions_do_not_fit_off_windows() {
        // A filesystem without symlinks (vfat answers EPERM).
        let answers = [(LinkType::Symlink, refused(1))];
        let (r, tried) = ladder(LinkType::Symlink, BOTH, EntryKind::Dir, Os::Unix, &answers);
        let why = r.unwrap_err();
        assert!(why.contains("junction: only on Windows"), "{why}");
        assert_eq!(tried, [LinkType::Symlink]);
        let (r, _) = ladder(LinkType::Symlink, BOTH, EntryKind::File, Os::Unix, &answers);
        assert_eq!(r.unwrap().link_type, LinkType::Hardlink);
    }

    #[test]
    fn which_refusals_mean_no_symlinks_here() {
        assert!(symlinks_unavailable(Os::Windows, Some(1314)));
        assert!(symlinks_unavailable(Os::Windows, Some(50)));
        assert!(symlinks_unavailable(Os::Windows, Some(1)));
        assert!(!symlinks_unavailable(Os::Windows, Some(5)));
        assert!(symlinks_unavailable(Os::Unix, Some(1)));
        assert!(!symlinks_unavailable(Os::Unix, Some(30)));
        assert!(!symlinks_unavailable(Os::Unix, Some(1314)));
        assert!(symlinks_unavailable(Os::Unix, None));
    }
}
