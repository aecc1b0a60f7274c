//! The state linkfile keeps under the home: the operation log, the backup store and the writer's
//! lock.
//!
//! Layout (root = `LINKFILE_STATE_DIR`, else `$XDG_STATE_HOME/linkfile`, `~/.local/state/linkfile` or `%LOCALAPPDATA%\linkfile`):
//!
//! ```text
//! root/lock                       one writer at a time, for every manifest of this home
//! root/m-<hash>/manifest          the manifest's path (for people reading the folder)
//! root/m-<hash>/head              the id of the newest operation
//! root/m-<hash>/ops/<id>.json     immutable operation records (after jj's operation log)
//! root/m-<hash>/intent.json       present only while an operation is writing (crash recovery)
//! root/m-<hash>/backups/<id>-<n>/ what operations moved out of the way, each in a fresh folder
//! ```
//!
//! Each operation record holds the full *view* of the links owned afterwards, not a delta, so
//! undo is "plan towards the parent's view" through the normal plan/apply path. Records are
//! written to a temporary file, fsynced, and renamed into place; `head` likewise.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Corruption, Error};
use crate::manifest::EntryKind;
use crate::statedir::{Dir, IfMissing};

mod streamed;

/// The newest operation, as [`State::head_unless_larger`] reads it.
#[derive(Debug)]
pub enum Head {
    /// No operation yet.
    None,
    /// Read whole.
    Whole(Box<Operation>),
    /// Its record is larger than asked: only its id.
    Large(u64),
}

/// A link linkfile made and owns: it removes it only while its text is still `text`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct OwnedLink {
    /// Where the link is.
    #[serde(with = "crate::path_serde")]
    #[schemars(with = "crate::path_serde::RecordPath")]
    pub at: PathBuf,
    /// The text linkfile wrote.
    #[serde(with = "crate::path_serde")]
    #[schemars(with = "crate::path_serde::RecordPath")]
    pub text: PathBuf,
    /// What the original is.
    pub kind: EntryKind,
    /// A hard link (then `text` is the original's path, and it is linkfile's while it is still
    /// the same file as the original).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hard: bool,
    /// A junction (Windows; `text` is the folder's absolute path).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub junction: bool,
    /// Why this primitive stands in for the symlink the manifest asked for (`fallback`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Box<str>>,
    /// The manifest entry's `tags`, so that `--only` and `--except` choose it once dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl OwnedLink {
    /// The primitive linkfile made here.
    pub fn link_type(&self) -> crate::manifest::LinkType {
        use crate::manifest::LinkType;
        match (self.hard, self.junction) {
            (true, _) => LinkType::Hardlink,
            (_, true) => LinkType::Junction,
            _ => LinkType::Symlink,
        }
    }

    /// The kind of link it is.
    pub fn flavour(&self) -> crate::platform::Flavour {
        crate::platform::Flavour::of(self.kind, self.link_type())
    }
}

/// What an operation moved out of the way, and where it is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Backup {
    /// Where it was.
    #[serde(with = "crate::path_serde")]
    #[schemars(with = "crate::path_serde::RecordPath")]
    pub at: PathBuf,
    /// What it was.
    pub what: BackupKind,
    /// Where it is now (files and folders), inside the backup store.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::path_serde::option"
    )]
    #[schemars(with = "Option<crate::path_serde::RecordPath>")]
    pub stored: Option<PathBuf>,
    /// The text it had (links: a symlink is its text, so the record is the backup).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::path_serde::option"
    )]
    #[schemars(with = "Option<crate::path_serde::RecordPath>")]
    pub text: Option<PathBuf>,
    /// For the repo's version of an adopted original: the link's place, whose file became the
    /// original.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::path_serde::option"
    )]
    #[schemars(with = "Option<crate::path_serde::RecordPath>")]
    pub adopted_from: Option<PathBuf>,
    /// For the repo's version of an adopted original: the fingerprint of what was adopted
    /// ([`crate::observe::fingerprint`]); undo moves the repo's file out only while it matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_fingerprint: Option<String>,
}

/// What kind of thing was backed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackupKind {
    /// A regular file, moved into the store.
    File,
    /// A folder, moved into the store whole.
    Dir,
    /// A symlink linkfile did not own, replaced; its text is in the record.
    Link,
    /// The repo's own version of an adopted file, moved into the store.
    Original,
    /// A folder link on the way to wanted links (a folded stow package, a dotbot folder link),
    /// moved into the store as the link it is; a real folder was made in its place.
    #[serde(rename = "folder-link")]
    FolderLink,
}

/// One immutable record of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Operation {
    /// Sequence number, 1 for the first operation.
    pub id: u64,
    /// The operation this one follows.
    pub parent: Option<u64>,
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// `apply`, `undo`, `unlink` or `add`.
    #[schemars(with = "String")]
    pub command: crate::command::Command,
    /// The manifest's path.
    #[serde(with = "crate::path_serde")]
    #[schemars(with = "crate::path_serde::RecordPath")]
    pub manifest: PathBuf,
    /// FNV-1a 64 of the manifest's bytes, in hex (tells whether it changed between operations).
    pub manifest_hash: String,
    /// For `undo`: the operation it undid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<u64>,
    /// Every link owned after this operation.
    pub view: Vec<OwnedLink>,
    /// What this operation moved out of the way.
    #[serde(default)]
    pub backups: Vec<Backup>,
    /// Backups this operation put back in place.
    #[serde(default)]
    pub restored: Vec<Backup>,
    /// Folders this operation made to hold links.
    #[serde(default, with = "crate::path_serde::vec")]
    #[schemars(with = "Vec<crate::path_serde::RecordPath>")]
    pub folders: Vec<PathBuf>,
    /// Folders (made by earlier operations) this operation removed once empty.
    #[serde(default, with = "crate::path_serde::vec")]
    #[schemars(with = "Vec<crate::path_serde::RecordPath>")]
    pub removed_folders: Vec<PathBuf>,
    /// Links this operation stopped owning, left as the user changed them (prune).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub released: Vec<OwnedLink>,
    /// For `add`: what it moved into the repo and the manifest it replaced (its undo puts them
    /// back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<Added>,
}

/// What one `linkfile add` did besides making links: its undo reverses exactly this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Added {
    /// Each file or folder moved from the home (`at`, now the link) into the repo (`to`).
    pub moved: Vec<Moved>,
    /// Folders made in the repo to hold them, outermost first.
    #[serde(default)]
    pub repo_folders: Vec<PathBuf>,
    /// The manifest as it was before, kept in the backup store.
    pub manifest_stored: PathBuf,
}

/// One file or folder `add` moved into the repo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Moved {
    /// Where it was, and where the link is now.
    pub at: PathBuf,
    /// Where it is in the repo.
    pub to: PathBuf,
}

/// The state folder of one manifest.
#[derive(Debug, Clone)]
pub struct State {
    /// Shared by every manifest of this home (the lock lives here).
    pub root: PathBuf,
    /// This manifest's folder.
    pub dir: PathBuf,
    /// The folders this history was kept in before its repo moved (see [`State::carry_from`]),
    /// read once.
    former: std::sync::OnceLock<Vec<PathBuf>>,
}

/// The fingerprint of a manifest's bytes an operation records (`manifest_hash`).
pub fn manifest_hash(bytes: &[u8]) -> String {
    format!("{:016x}", fnv1a(bytes))
}

/// FNV-1a 64: a stable, dependency-free fingerprint (not a security hash).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn state_err(path: &Path, source: io::Error) -> Error {
    Error::State {
        path: path.to_path_buf(),
        source,
    }
}

impl State {
    /// The state of `manifest` under `root`, its path compared as `os` compares paths.
    pub fn new(root: &Path, manifest: &Path, os: crate::platform::Os) -> State {
        let key = crate::paths::PathKey::new(manifest, os);
        State::at(
            root,
            root.join(format!("m-{:016x}", fnv1a(key.as_str().as_bytes()))),
        )
    }

    fn ops_dir(&self) -> PathBuf {
        self.dir.join("ops")
    }

    /// Where the intent record of a running operation is kept.
    pub fn intent_path(&self) -> PathBuf {
        self.dir.join("intent.json")
    }

    /// The newest operation, if any.
    pub fn head(&self) -> Result<Option<Operation>, Error> {
        match self.head_id()? {
            Some(id) => self.op(id).map(Some),
            None => Ok(None),
        }
    }

    /// The id of the newest operation, if any, without reading its record (which holds every
    /// link: at 100,000 links, megabytes of JSON).
    pub fn head_id(&self) -> Result<Option<u64>, Error> {
        let head = self.dir.join("head");
        let Some(bytes) = self.read("head")? else {
            return Ok(None);
        };
        String::from_utf8_lossy(&bytes)
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|e| state_err(&head, io::Error::new(io::ErrorKind::InvalidData, e)))
    }

    /// The operation `id`. Its links to other records only ever point back in time (a parent,
    /// an undone operation: older, so smaller ids), which is checked here: walking a history
    /// always ends, however the records were damaged or forged.
    pub fn op(&self, id: u64) -> Result<Operation, Error> {
        let (path, mut file) = self.op_file(id)?;
        let mut text = Vec::new();
        io::Read::read_to_end(&mut file, &mut text).map_err(|e| state_err(&path, e))?;
        self.parse_op(id, path, &text)
    }

    /// The newest operation, read as [`State::op`] reads it when its record is at most `limit`
    /// bytes; else only its id ([`Head::Large`]), for [`State::op_streaming`].
    pub fn head_unless_larger(&self, limit: u64) -> Result<Head, Error> {
        let Some(id) = self.head_id()? else {
            return Ok(Head::None);
        };
        let (path, mut file) = self.op_file(id)?;
        let len = file.metadata().map_err(|e| state_err(&path, e))?.len();
        if len > limit {
            return Ok(Head::Large(id));
        }
        let mut text = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        io::Read::read_to_end(&mut file, &mut text).map_err(|e| state_err(&path, e))?;
        self.parse_op(id, path, &text)
            .map(|op| Head::Whole(Box::new(op)))
    }

    /// The operation `id`, checked as [`State::op`] checks it, its view given to `each` link by
    /// link as the record is read instead of kept (a record holds every link: at 100,000
    /// links, its view is megabytes more at a plan's peak). The operation returned has an empty
    /// view.
    pub fn op_streaming(
        &self,
        id: u64,
        each: &mut dyn FnMut(OwnedLink),
    ) -> Result<Operation, Error> {
        let (path, file) = self.op_file(id)?;
        let reader = io::BufReader::with_capacity(1 << 16, file);
        let mut de = serde_json::Deserializer::from_reader(reader);
        let op = serde::de::DeserializeSeed::deserialize(streamed::OperationSeed { each }, &mut de)
            .and_then(|op| de.end().map(|()| op))
            .map_err(|e| state_err(&path, io::Error::new(io::ErrorKind::InvalidData, e)))?;
        self.check_op(id, path, op)
    }

    /// The record of operation `id`, opened without following a link, and its path.
    fn op_file(&self, id: u64) -> Result<(PathBuf, File), Error> {
        let name = format!("{id:08}.json");
        let path = self.ops_dir().join(&name);
        let ops = self
            .open_dir(IfMissing::ReturnNone)?
            .and_then(|d| d.child("ops", IfMissing::ReturnNone).transpose());
        let file = match ops.transpose()? {
            Some(ops) => ops.open_read(&name)?,
            None => None,
        }
        .ok_or_else(|| state_err(&path, io::Error::from(io::ErrorKind::NotFound)))?;
        Ok((path, file))
    }

    /// Operation `id` from its record's bytes, read from `path`.
    fn parse_op(&self, id: u64, path: PathBuf, text: &[u8]) -> Result<Operation, Error> {
        let invalid = |e: Box<dyn std::error::Error + Send + Sync>| {
            state_err(&path, io::Error::new(io::ErrorKind::InvalidData, e))
        };
        // Records are UTF-8 (a path that is not is written as its bytes): checked once for the
        // whole file, where reading bytes would check every string again (a tenth of a plan's
        // instructions at 10,000 links).
        let text = std::str::from_utf8(text).map_err(|e| invalid(Box::new(e)))?;
        let op: Operation = serde_json::from_str(text).map_err(|e| invalid(Box::new(e)))?;
        self.check_op(id, path, op)
    }

    /// `op`, read as operation `id`: its links to other records only ever point back in time.
    fn check_op(&self, id: u64, path: PathBuf, mut op: Operation) -> Result<Operation, Error> {
        let why = if op.id != id {
            Some(Corruption::OtherId { says: op.id })
        } else if let Some(parent) = op.parent.filter(|p| *p >= id) {
            Some(Corruption::ParentNotOlder { parent })
        } else {
            op.undoes
                .filter(|u| *u >= id)
                .map(|undoes| Corruption::UndoesNotOlder { undoes })
        };
        match why {
            Some(why) => Err(Error::CorruptRecord { path, why }),
            None => {
                self.rebase(&mut op);
                Ok(op)
            }
        }
    }

    /// The id the next operation gets.
    pub fn next_id(&self, head: Option<&Operation>) -> Result<u64, Error> {
        match head {
            None => Ok(1),
            Some(h) => h.id.checked_add(1).ok_or_else(|| Error::CorruptRecord {
                path: self.ops_dir().join(format!("{:08}.json", h.id)),
                why: Corruption::LastId { id: h.id },
            }),
        }
    }

    /// Every operation from the newest back to the first.
    pub fn history(&self) -> Result<Vec<Operation>, Error> {
        let mut out = Vec::new();
        let mut next = self.head()?;
        while let Some(op) = next {
            next = match op.parent {
                Some(p) => Some(self.op(p)?),
                None => None,
            };
            out.push(op);
        }
        Ok(out)
    }

    /// Writes `op` (immutable from then on) and makes it the head.
    pub fn commit(&self, op: &Operation, manifest: &Path) -> Result<(), Error> {
        let dir = self.create_dir()?;
        let ops = dir
            .child("ops", IfMissing::Make)?
            .ok_or_else(|| state_err(&self.ops_dir(), io::ErrorKind::NotFound.into()))?;
        if dir.read("manifest")?.is_none() {
            dir.write_atomic("manifest", manifest.to_string_lossy().as_bytes())?;
        }
        let json = serde_json::to_string(op)
            .map_err(|e| state_err(&self.ops_dir(), io::Error::other(e)))?;
        ops.write_atomic(&format!("{:08}.json", op.id), json.as_bytes())?;
        dir.write_atomic("head", format!("{}\n", op.id).as_bytes())
    }

    /// The backup store, checked but never made here: it is a real folder (a link planted
    /// there is refused, not followed), or missing — then the operation that first stores
    /// something makes it by a step of its own (only the writer writes). The folders of each
    /// backup are made in it by the operation's own steps.
    pub fn backup_store(&self) -> Result<BackupStore, Error> {
        let store = self.dir.join("backups");
        match fs::symlink_metadata(&store) {
            Ok(m) if m.is_dir() => Ok(BackupStore::Present(store)),
            Ok(_) => Err(state_err(
                &store,
                io::Error::other(
                    "the backup store is not a real folder (a link?); refusing to follow it",
                ),
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BackupStore::Missing(store)),
            Err(e) => Err(state_err(&store, e)),
        }
    }

    /// Takes the writer's lock, or says who holds it.
    pub fn lock(&self, command: crate::command::Command) -> Result<Lock, Error> {
        let path = self.root.join("lock");
        let root = Dir::open(&self.root, IfMissing::Make)?
            .ok_or_else(|| state_err(&self.root, io::ErrorKind::NotFound.into()))?;
        // Opened without following a link, and only as a regular file: the truncation below
        // never reaches anything but linkfile's own lock.
        let file = root
            .lock_file("lock", IfMissing::Make)?
            .ok_or_else(|| state_err(&path, io::ErrorKind::NotFound.into()))?;
        // The holder writes its name just after taking the lock, and erases it just before
        // letting go: while the name is not there, look again (or take the lock if it is free).
        let mut tries = 0;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) => {
                    let holder = self.lock_holder_name();
                    tries += 1;
                    if !holder.trim().is_empty() || tries == 100 {
                        return Err(Error::Locked { path, holder });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(fs::TryLockError::Error(e)) => return Err(state_err(&path, e)),
            }
        }
        // The OS drops the lock when the process dies, so a killed run never blocks the next;
        // the text only tells a waiting user who holds it.
        let name = format!("process {} (linkfile {command})", std::process::id());
        let holder = self.write_lock_holder(&name);
        Ok(Lock {
            _file: file,
            holder,
        })
    }
}

/// Held while an operation writes; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct Lock {
    _file: File,
    /// The state root, where `lock.holder` names the holder; it is removed before the lock goes.
    holder: Option<crate::statedir::Dir>,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Forget the holder's name before the OS releases the lock.
        if let Some(root) = &self.holder {
            let _ = root.remove_file("lock.holder");
        }
    }
}

/// Writes `bytes` to the state file `path` through a temporary file made exclusively under an
/// unpredictable name, fsynced, renamed into place, and the folder fsynced: readers see the old
/// or the new content, never a torn one, and no link in the folder is written through.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let (dir, name) = crate::statedir::split(path)?;
    dir.write_atomic(&name, bytes)
}

/// Makes a folder's entries durable (a no-op where folders cannot be opened, as on Windows).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `YYYY-MM-DD HH:MM:SS UTC` for a Unix time (civil-from-days, Howard Hinnant's algorithm).
pub fn format_time(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl State {
    /// The state kept in the folder `dir` under `root`.
    pub fn at(root: &Path, dir: PathBuf) -> State {
        State {
            root: root.to_path_buf(),
            dir,
            former: std::sync::OnceLock::new(),
        }
    }

    /// The manifest path this state folder was made for, if it says.
    pub fn manifest(&self) -> Option<PathBuf> {
        let bytes = self.read("manifest").ok()??;
        let text = String::from_utf8_lossy(&bytes);
        Some(PathBuf::from(text.trim_end_matches(['\n', '\r'])))
    }

    /// Takes over the history kept in `old` (the state of this repo under its old path): the
    /// folder is renamed to this one in one step, backups and all, and remembers its old name so
    /// that the backups its records name are found in their new place. The caller holds the
    /// writer's lock and has recovered any interrupted operation of `old`.
    pub fn carry_from(&mut self, old: &State, manifest: &Path) -> Result<(), Error> {
        let mut former = old.former_dirs().to_vec();
        former.push(old.dir.clone());
        let list: String = former
            .iter()
            .map(|d| format!("{}\n", d.to_string_lossy()))
            .collect();
        // Each write leaves a history that is still found: by its new manifest path (which
        // exists) until the rename, and under this folder after it.
        let old_dir = old
            .open_dir(IfMissing::ReturnNone)?
            .ok_or_else(|| state_err(&old.dir, io::ErrorKind::NotFound.into()))?;
        old_dir.write_atomic("formerly", list.as_bytes())?;
        old_dir.write_atomic("manifest", manifest.to_string_lossy().as_bytes())?;
        let root = Dir::open(&self.root, IfMissing::Make)?
            .ok_or_else(|| state_err(&self.root, io::ErrorKind::NotFound.into()))?;
        // What a failed earlier operation may have left here (an empty backup store).
        if let Some(mine) = self.open_dir(IfMissing::ReturnNone)? {
            let _ = mine.remove_dir("backups");
        }
        root.remove_dir(&name_in_root(&self.dir))?;
        root.rename(&name_in_root(&old.dir), &name_in_root(&self.dir))?;
        self.former = std::sync::OnceLock::new();
        Ok(())
    }

    /// Who holds the writer's lock now, without taking it or writing anything: `None` when it
    /// is free (or there is no lock file yet).
    pub fn lock_holder(&self) -> Option<String> {
        let root = Dir::open(&self.root, IfMissing::ReturnNone).ok()??;
        let file = root.lock_file("lock", IfMissing::ReturnNone).ok()??;
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                None
            }
            Err(fs::TryLockError::WouldBlock) => Some(self.lock_holder_name()),
            Err(fs::TryLockError::Error(_)) => None,
        }
    }

    /// The folders this history was kept in before (oldest first).
    fn former_dirs(&self) -> &[PathBuf] {
        self.former.get_or_init(|| {
            let Ok(Some(bytes)) = self.read("formerly") else {
                return Vec::new();
            };
            String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|l| !l.is_empty())
                .map(PathBuf::from)
                .collect()
        })
    }

    /// Points the backups `op` names at this folder, where a carried-over history keeps them.
    fn rebase(&self, op: &mut Operation) {
        let former = self.former_dirs();
        if former.is_empty() {
            return;
        }
        for b in op.backups.iter_mut().chain(op.restored.iter_mut()) {
            let Some(stored) = &b.stored else { continue };
            if let Some(rest) = former.iter().find_map(|d| stored.strip_prefix(d).ok()) {
                b.stored = Some(self.dir.join(rest));
            }
        }
    }
}

/// The name of a manifest's folder in the state root.
fn name_in_root(dir: &Path) -> String {
    dir.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

impl State {
    /// This manifest's folder, opened without following a link; `None` before its first
    /// operation.
    fn open_dir(&self, missing: IfMissing) -> Result<Option<Dir>, Error> {
        let Some(root) = Dir::open(&self.root, missing)? else {
            return Ok(None);
        };
        root.child(&name_in_root(&self.dir), missing)
    }

    fn create_dir(&self) -> Result<Dir, Error> {
        self.open_dir(IfMissing::Make)?
            .ok_or_else(|| state_err(&self.dir, io::ErrorKind::NotFound.into()))
    }

    /// The bytes of this manifest's state file `name`, if there is one.
    fn read(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.open_dir(IfMissing::ReturnNone)? {
            Some(dir) => dir.read(name),
            None => Ok(None),
        }
    }

    /// The intent record of an interrupted operation, if one is there.
    pub fn read_intent(&self) -> Result<Option<Vec<u8>>, Error> {
        self.read("intent.json")
    }

    /// Writes the intent record (fsynced) before an operation's first step.
    pub fn write_intent(&self, bytes: &[u8]) -> Result<(), Error> {
        self.create_dir()?.write_atomic("intent.json", bytes)
    }

    /// Removes the intent record: its operation is committed or rolled back.
    pub fn remove_intent(&self) -> Result<(), Error> {
        match self.open_dir(IfMissing::ReturnNone)? {
            Some(dir) => dir.remove_file("intent.json"),
            None => Ok(()),
        }
    }

    /// Checks, before anything in it is read, that the state folder is the user's own (see
    /// `statedir`), and that this manifest's folders in it are real folders of theirs.
    pub fn verify(&self, home: &Path) -> Result<(), Error> {
        crate::statedir::check_chain(&self.root, home)?;
        if let Some(dir) = self.open_dir(IfMissing::ReturnNone)? {
            dir.child("ops", IfMissing::ReturnNone)?;
            dir.child("backups", IfMissing::ReturnNone)?;
        }
        Ok(())
    }
}

/// The lock holder's name, kept in `lock.holder` beside the lock file: Windows locks
/// (LockFileEx) are mandatory, so a waiting process cannot read the locked file itself. Read,
/// written (exclusively, under an unguessable temporary name) and removed through the state
/// root's handle, never through a link.
impl State {
    /// The holder's name as it wrote it (empty when unknown).
    fn lock_holder_name(&self) -> String {
        Dir::open(&self.root, IfMissing::ReturnNone)
            .ok()
            .flatten()
            .and_then(|root| root.read("lock.holder").ok().flatten())
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .unwrap_or_default()
    }

    /// Writes the holder's name; returns the state root's handle, to remove it by.
    fn write_lock_holder(&self, name: &str) -> Option<Dir> {
        let root = Dir::open(&self.root, IfMissing::ReturnNone)
            .ok()
            .flatten()?;
        let _ = root.write_atomic("lock.holder", name.as_bytes());
        Some(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_formatted_in_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_time(1_795_651_200 + 3661), "2026-11-26 01:01:01 UTC");
    }

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
    }
}

/// The backup store of a state folder, as [`State::backup_store`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupStore {
    /// A real folder.
    Present(PathBuf),
    /// Not there yet: the writer makes it before storing anything.
    Missing(PathBuf),
}

impl BackupStore {
    /// Where it is.
    pub fn path(&self) -> &Path {
        match self {
            BackupStore::Present(p) | BackupStore::Missing(p) => p,
        }
    }

    /// The folder to make first, when it is missing.
    pub fn missing(&self) -> Option<&Path> {
        match self {
            BackupStore::Missing(p) => Some(p),
            BackupStore::Present(_) => None,
        }
    }
}
