//! `add PATH... [--to REPO_PATH]`: moves files or folders of the home into the repo, adds their
//! entries to the manifest's `[links]` table (toml_edit: every other byte kept) and links them
//! back — one operation, one intent: a failure or a crash rolls back the moves, the links and
//! the manifest together, and `undo` reverses it.
//!
//! The manifest is replaced by steps the intent knows: the new text is written to a file in
//! the state folder first, then the old manifest is moved into the backup store and the new
//! one moved into its place. Default place in the repo: the path's place below the home
//! (`~/.config/nvim` → `<repo>/.config/nvim`), as a stow package or chezmoi source mirrors it.

use super::transact::{carry, prepare};
use super::*;
use crate::apply;
use crate::cli::{AddMode, Effect, Output, Writing};
use crate::error::{AddChange, AddRefusal, NotAddable, Refusal};
use crate::oplog::{Added, Moved};
use crate::steps::{Shape, Step, finish};

/// One path to add, checked.
struct Addition {
    /// The place in the home (becomes the link).
    at: PathBuf,
    /// The manifest's `at` for it (`~/...`).
    at_text: String,
    /// Where it goes in the repo.
    to: PathBuf,
    /// The manifest's `to` for it (relative to the manifest's folder, `/`-separated).
    to_text: String,
    kind: EntryKind,
    /// `~/... -> ...` as shown to the user (the names as they are, not escaped for the
    /// manifest).
    shown: String,
}

fn refuse(why: AddRefusal) -> Error {
    Error::Refused(Refusal::Add(why))
}

/// The refusal of the path given as `path`.
fn not_addable(path: &Path, why: NotAddable) -> Error {
    refuse(AddRefusal::Given {
        path: path.to_path_buf(),
        why,
    })
}

/// Runs `linkfile add`: under the writer's lock, after recovery, as one operation.
pub(super) fn run(
    mut s: Setup,
    mode: &AddMode,
    sys: &System,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let output = Output::Human(mode.verbosity);
    let run = Writing {
        effect: Effect::Write,
        output,
        diff_lines: None,
    };
    let mut lock = prepare(&s, sys, crate::command::Command::Add, run, out)?;
    lock.take(&s.state)?;
    carry(&mut s, sys, Effect::Write, output, out)?;
    if mode.to.is_some() && mode.paths.len() > 1 {
        return Err(refuse(AddRefusal::ToWithSeveralPaths));
    }
    let head = s.state.head()?;
    let additions = additions(&s, sys, mode, head.as_ref())?;
    let (new_text, links) = new_manifest(&s, sys, &additions)?;
    let id = s.state.next_id(head.as_ref())?;
    let added = move_and_link(&s, id, &additions, &links, &new_text)?;
    let op = Operation {
        id,
        parent: head.as_ref().map(|h| h.id),
        time: oplog::now(),
        command: crate::command::Command::Add,
        manifest: s.manifest_path.clone(),
        manifest_hash: oplog::manifest_hash(new_text.as_bytes()),
        undoes: None,
        view: view_after(head.as_ref(), &additions, &links),
        backups: Vec::new(),
        restored: Vec::new(),
        folders: Vec::new(),
        removed_folders: Vec::new(),
        released: Vec::new(),
        added: Some(added),
    };
    commit(&s, &op)?;
    if output.notes() {
        for a in &additions {
            writeln!(out, "  + {}  (moved into the repo, linked back)", a.shown)?;
        }
        writeln!(
            out,
            "Added {} to the repo and the manifest. Operation {id} (undo with `linkfile undo`).",
            additions.len()
        )?;
    }
    Ok(ExitCode::Ok)
}

/// The paths given, checked one by one and against each other.
fn additions(
    s: &Setup,
    sys: &System,
    mode: &AddMode,
    head: Option<&Operation>,
) -> Result<Vec<Addition>, Error> {
    let (_, expanded) = s.expanded(sys)?;
    let owned: Vec<&Path> = head.iter().flat_map(|h| &h.view).map(|o| &*o.at).collect();
    let managed: Vec<&Path> = expanded.links.iter().map(|d| &*d.at).chain(owned).collect();
    // A file put in an `each` entry's folder would be linked twice.
    let each_folders: Vec<PathBuf> = {
        let manifest = manifest::parse(&s.shown, &s.text).map_err(Error::Manifest)?;
        let resolved = resolve::resolve(&manifest, &s.context(sys)).map_err(Error::Manifest)?;
        resolved
            .links
            .into_iter()
            .filter(|d| d.each().is_some())
            .map(|d| d.to)
            .collect()
    };
    let mut additions: Vec<Addition> = Vec::new();
    for path in &mode.paths {
        let a = check_path(s, sys, path, mode.to.as_deref(), &managed)?;
        refuse_overlap(&a, &additions, &each_folders)?;
        additions.push(a);
    }
    Ok(additions)
}

/// Refuses an addition that holds or lies in an earlier one (in the home or in the repo), or
/// lies in an `each` entry's folder.
fn refuse_overlap(
    a: &Addition,
    earlier: &[Addition],
    each_folders: &[PathBuf],
) -> Result<(), Error> {
    if let Some(other) = earlier
        .iter()
        .find(|b| a.at.starts_with(&b.at) || b.at.starts_with(&a.at))
    {
        return Err(refuse(AddRefusal::Nested {
            path: a.at.clone(),
            other: other.at.clone(),
        }));
    }
    if let Some(other) = earlier
        .iter()
        .find(|b| a.to.starts_with(&b.to) || b.to.starts_with(&a.to))
    {
        return Err(refuse(AddRefusal::SamePlaceInRepo {
            path: a.at.clone(),
            other: other.at.clone(),
            to: other.to.clone(),
        }));
    }
    if let Some(folder) = each_folders
        .iter()
        .find(|f| crate::paths::within(&a.to, f, platform::Os::HOST))
    {
        return Err(refuse(AddRefusal::InEachFolder {
            to: a.to.clone(),
            folder: folder.clone(),
        }));
    }
    Ok(())
}

/// The manifest's text with the additions' entries, and their links as it resolves them (read
/// as the other commands will read it).
fn new_manifest(
    s: &Setup,
    sys: &System,
    additions: &[Addition],
) -> Result<(String, Vec<Desired>), Error> {
    let new_text = edit_manifest(&s.text, additions).map_err(|e| {
        refuse(AddRefusal::CannotEditManifest {
            manifest: s.manifest_path.clone(),
            why: e,
        })
    })?;
    let manifest = manifest::parse(&s.shown, &new_text).map_err(Error::Manifest)?;
    let resolved = resolve::resolve(&manifest, &s.context(sys)).map_err(Error::Manifest)?;
    let key = |p: &Path| crate::paths::PathKey::new(p, platform::Os::HOST).into_owned();
    let links: Vec<Desired> = additions
        .iter()
        .map(|a| {
            resolved
                .links
                .iter()
                .find(|d| key(&d.at) == key(&a.at))
                .cloned()
                .ok_or_else(|| refuse(AddRefusal::NotOnThisMachine { at: a.at.clone() }))
        })
        .collect::<Result<_, _>>()?;
    if let Some(a) = additions.iter().zip(&links).find_map(|(a, d)| {
        (a.kind == EntryKind::Dir && d.link_type == LinkType::Hardlink).then_some(a)
    }) {
        return Err(refuse(AddRefusal::FolderAsHardLink { at: a.at.clone() }));
    }
    Ok((new_text, links))
}

/// Moves each addition into the repo and links it back, and puts `new_text` in the manifest's
/// place (the old one into the backup store), as operation `id`'s steps. Returns the record of
/// what was moved and made.
fn move_and_link(
    s: &Setup,
    id: u64,
    additions: &[Addition],
    links: &[Desired],
    new_text: &str,
) -> Result<Added, Error> {
    let file = manifest_file(s)?;
    let store = s.state.backup_store()?;
    let staged = s.state.dir.join(format!("add-{id:08}.toml"));
    // With the manifest's own mode: it takes the manifest's place.
    let perms = observe::permissions(&file);
    let (state_dir, staged_name) = crate::statedir::split(&staged)?;
    state_dir.write_atomic_as(&staged_name, new_text.as_bytes(), perms)?;
    let manifest_dir = store.path().join(format!("{id:08}-1"));
    let manifest_stored = manifest_dir.join(file.file_name().unwrap_or_default());
    let mut steps = Vec::new();
    let mut repo_folders = Vec::new();
    for (a, d) in additions.iter().zip(links) {
        for dir in missing_folders(&a.to, &s.repo) {
            if !repo_folders.contains(&dir) {
                steps.push(Step::MakeFolder {
                    dir: dir.clone(),
                    mode: None,
                });
                repo_folders.push(dir);
            }
        }
        steps.push(Step::Move {
            from: a.at.clone(),
            to: a.to.clone(),
        });
        steps.push(make_link(d, a.kind));
    }
    if let Some(dir) = store.missing() {
        let (dir, mode) = (dir.to_path_buf(), None);
        steps.push(Step::MakeFolder { dir, mode });
    }
    steps.push(Step::MakeFolder {
        dir: manifest_dir,
        mode: None,
    });
    steps.extend(replace_manifest(&file, &staged, &manifest_stored));
    run_steps(s, id, crate::command::Command::Add, steps).inspect_err(|_| {
        let _ = std::fs::remove_file(&staged);
    })?;
    let moved = additions
        .iter()
        .map(|a| Moved {
            at: a.at.clone(),
            to: a.to.clone(),
        })
        .collect();
    Ok(Added {
        moved,
        repo_folders,
        manifest_stored,
    })
}

/// The steps that put the manifest at `new` in the place of the manifest's `file`, the current
/// one going to `stored`.
fn replace_manifest(file: &Path, new: &Path, stored: &Path) -> [Step; 2] {
    [
        Step::Move {
            from: file.to_path_buf(),
            to: stored.to_path_buf(),
        },
        Step::Move {
            from: new.to_path_buf(),
            to: file.to_path_buf(),
        },
    ]
}

/// The file `add` and its undo replace: the manifest, or, when the manifest is a link, the
/// file it leads to, which must be in the repo (its place below the repo by real folders).
fn manifest_file(s: &Setup) -> Result<PathBuf, Error> {
    if !observe::is_link(&s.manifest_path) {
        return Ok(s.manifest_path.clone());
    }
    let real_repo = crate::containment::real_path(&s.repo);
    let real = crate::containment::existing_real_path(&s.manifest_path);
    match real.as_deref().map(|r| r.strip_prefix(&real_repo)) {
        Some(Ok(rel)) if !rel.as_os_str().is_empty() => Ok(s.repo.join(rel)),
        _ => Err(refuse(AddRefusal::ManifestLinkOutOfRepo {
            manifest: s.manifest_path.clone(),
        })),
    }
}

/// The links owned after the additions: the head's, and theirs.
fn view_after(
    head: Option<&Operation>,
    additions: &[Addition],
    links: &[Desired],
) -> Vec<OwnedLink> {
    let mut view: Vec<OwnedLink> = head.map(|h| h.view.clone()).unwrap_or_default();
    for (a, d) in additions.iter().zip(links) {
        view.push(OwnedLink {
            at: d.at.clone(),
            text: d.link_text().to_path_buf(),
            kind: a.kind,
            hard: d.link_type == LinkType::Hardlink,
            junction: d.link_type == LinkType::Junction,
            fallback: None,
            tags: Vec::new(),
        });
    }
    view.sort();
    view
}

/// Records the operation and clears its intent.
fn commit(s: &Setup, op: &Operation) -> Result<(), Error> {
    s.state
        .commit(op, &s.manifest_path)
        .map_err(|e| Error::Unrecorded {
            command: op.command,
            source: Box::new(e),
        })?;
    finish(&s.state)
}

/// Checks one path given to `add` and says where it goes.
fn check_path(
    s: &Setup,
    sys: &System,
    path: &Path,
    to: Option<&Path>,
    managed: &[&Path],
) -> Result<Addition, Error> {
    let given = absolute(&sys.cwd, path);
    let home = place_in_home(s, &given)?;
    refuse_repo_or_state(s, &home.real, &given)?;
    refuse_managed(&home.at, managed, &given)?;
    let (dest, to_rel) = place_in_repo(s, &home.rel, to)?;
    let not_utf8 = || not_addable(&given, NotAddable::NotUtf8);
    let at_text = manifest_text(&home.rel).ok_or_else(not_utf8)?;
    let to_text = manifest_text(&to_rel).ok_or_else(not_utf8)?;
    Ok(Addition {
        at: home.at,
        at_text: format!("~/{at_text}"),
        to_text,
        to: dest,
        kind: home.kind,
        shown: format!(
            "~/{} -> {}",
            slashed(crate::show::path(&home.rel)),
            slashed(crate::show::path(&to_rel))
        ),
    })
}

/// `rel` as the manifest writes it: `/`-separated, with `$`, `{` and `}` doubled so that the
/// manifest's expansion gives the name back; `None` when it is not UTF-8.
fn manifest_text(rel: &Path) -> Option<String> {
    let text = slashed(rel.to_str()?.to_string());
    Some(
        text.replace('$', "$$")
            .replace('{', "{{")
            .replace('}', "}}"),
    )
}

/// `text` with Windows' separators written `/` (on Unix a `\\` is part of a name).
fn slashed(text: String) -> String {
    if platform::Os::HOST.is_windows() {
        text.replace('\\', "/")
    } else {
        text
    }
}

/// A path given to `add`, found below the home.
struct InHome {
    /// Its place below the home as the manifest writes it (the home as given).
    at: PathBuf,
    /// Its real path.
    real: PathBuf,
    /// Its place relative to the home.
    rel: PathBuf,
    kind: EntryKind,
}

/// Where `given` is below the home — by real path, reached through no folder link — and what
/// it is: a file or folder, not a link.
fn place_in_home(s: &Setup, given: &Path) -> Result<InHome, Error> {
    let missing = || not_addable(given, NotAddable::Missing);
    let name = given
        .file_name()
        .ok_or_else(|| not_addable(given, NotAddable::NamesNoFile))?;
    // Containment by real path: the folder holding it, resolved, below the home's real path.
    let real_home = crate::containment::real_path(&s.home);
    let real_parent = given
        .parent()
        .and_then(crate::containment::existing_real_path)
        .ok_or_else(missing)?;
    let real = real_parent.join(name);
    let rel = match real.strip_prefix(&real_home) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
        _ => {
            let home = s.home.clone();
            return Err(not_addable(given, NotAddable::NotBelowHome { home }));
        }
    };
    let at = s.home.join(&rel);
    // Never through a folder link: every folder from the home down to it is a real folder.
    for dir in at.ancestors().skip(1).take_while(|d| *d != s.home) {
        if observe::is_link(dir) {
            let link = dir.to_path_buf();
            return Err(not_addable(given, NotAddable::FolderLinkOnTheWay { link }));
        }
    }
    let here = observe::here(&at).map_err(|_| missing())?;
    let kind = kind_to_add(here, given)?;
    Ok(InHome {
        at,
        real,
        rel,
        kind,
    })
}

/// A real file or folder; a link or a special file is refused.
fn kind_to_add(here: observe::Here, given: &Path) -> Result<EntryKind, Error> {
    match here {
        observe::Here::Link => Err(not_addable(given, NotAddable::AlreadyALink)),
        observe::Here::Folder => Ok(EntryKind::Dir),
        observe::Here::File => Ok(EntryKind::File),
        observe::Here::Special => Err(not_addable(given, NotAddable::SpecialFile)),
    }
}

/// Refuses a path (`real`) inside the repo or holding it, or holding linkfile's state folder.
fn refuse_repo_or_state(s: &Setup, real: &Path, given: &Path) -> Result<(), Error> {
    let real_repo = crate::containment::real_path(&s.repo);
    let real_state = crate::containment::real_path(&s.state_root);
    if crate::paths::within(real, &real_repo, platform::Os::HOST)
        || crate::paths::within(&real_repo, real, platform::Os::HOST)
    {
        let repo = s.repo.clone();
        return Err(not_addable(given, NotAddable::InRepo { repo }));
    }
    if crate::paths::within(&real_state, real, platform::Os::HOST) {
        let state = s.state_root.clone();
        return Err(not_addable(given, NotAddable::HoldsState { state }));
    }
    Ok(())
}

/// Refuses a place the manifest or linkfile's last operation has a link at, in or above.
fn refuse_managed(at: &Path, managed: &[&Path], given: &Path) -> Result<(), Error> {
    let key = |p: &Path| crate::paths::PathKey::new(p, platform::Os::HOST).into_owned();
    if let Some(m) = managed.iter().find(|m| {
        key(m) == key(at)
            || crate::paths::within(m, at, platform::Os::HOST)
            || crate::paths::within(at, m, platform::Os::HOST)
    }) {
        let link = m.to_path_buf();
        return Err(not_addable(given, NotAddable::Managed { link }));
    }
    Ok(())
}

/// Where in the repo a path at `rel` below the home goes (`to`, else the same place below the
/// repo), and that place relative to the repo: free, with only real folders on the way.
fn place_in_repo(s: &Setup, rel: &Path, to: Option<&Path>) -> Result<(PathBuf, PathBuf), Error> {
    let to_rel = match to {
        Some(t) => {
            let t = crate::paths::normalize(&s.repo.join(t));
            match t.strip_prefix(&s.repo) {
                Ok(r) if !r.as_os_str().is_empty() => r.to_path_buf(),
                _ => {
                    return Err(refuse(AddRefusal::ToOutsideRepo { to: t }));
                }
            }
        }
        None => rel.to_path_buf(),
    };
    let dest = s.repo.join(&to_rel);
    if observe::exists(&dest) {
        return Err(refuse(AddRefusal::ExistsInRepo { dest }));
    }
    // Folders in the repo on the way to it: real folders (or missing), never links.
    for dir in dest.ancestors().skip(1).take_while(|d| *d != s.repo) {
        match observe::here(dir) {
            Ok(observe::Here::Folder) | Err(_) => {}
            Ok(_) => {
                let dir = dir.to_path_buf();
                return Err(refuse(AddRefusal::NotARealFolderInRepo { dir }));
            }
        }
    }
    Ok((dest, to_rel))
}

/// The repo folders to make for `dest`, outermost first.
fn missing_folders(dest: &Path, repo: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = dest
        .ancestors()
        .skip(1)
        .take_while(|d| *d != repo)
        .filter(|d| !observe::exists(d))
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

fn make_link(d: &Desired, kind: EntryKind) -> Step {
    let link = if d.link_type == LinkType::Hardlink {
        Shape::HardLink {
            original: d.link_text().to_path_buf(),
        }
    } else {
        Shape::Symlink {
            text: d.link_text().to_path_buf(),
            kind: Flavour::of(kind, d.link_type),
        }
    };
    Step::Make {
        at: d.at.clone(),
        link,
    }
}

/// The manifest with each addition appended to its `[links]` table (made at the end when there
/// is none); every other byte as it was. toml_edit writes lines with `\n` and no byte-order
/// mark: a manifest whose every line ends with `\r\n` is edited as `\n` and written back with
/// `\r\n`, a leading mark is kept; one that toml_edit would not write back byte for byte
/// (line ends mixed) is refused.
fn edit_manifest(text: &str, additions: &[Addition]) -> Result<String, String> {
    let (bom, text) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let crlf = text.contains("\r\n") && !text.replace("\r\n", "").contains('\n');
    let lf_text = if crlf {
        text.replace("\r\n", "\n")
    } else {
        text.to_string()
    };
    let mut doc: toml_edit::DocumentMut = lf_text.parse().map_err(|e| format!("{e}"))?;
    if doc.to_string() != lf_text {
        return Err(
            "it would not be written back byte for byte (its line ends mix `\\n` and `\\r\\n`?)"
                .into(),
        );
    }
    let links = doc
        .entry("links")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
    let table = links
        .as_table_like_mut()
        .ok_or("its `links` is not a table")?;
    for a in additions {
        table.insert(&a.at_text, toml_edit::value(a.to_text.as_str()));
    }
    let edited = doc.to_string();
    let edited = if crlf {
        edited.replace('\n', "\r\n")
    } else {
        edited
    };
    Ok(format!("{bom}{edited}"))
}

/// Writes the intent and runs `steps` as apply does ([`apply::run_intent`]).
fn run_steps(
    s: &Setup,
    id: u64,
    command: crate::command::Command,
    steps: Vec<Step>,
) -> Result<(), Error> {
    apply::run_intent(
        &s.state,
        [&s.home, &s.repo],
        id,
        command,
        steps,
        apply::Hooks {
            before_step: &mut |_| Ok(()),
            progress: &mut |_, _| {},
        },
    )
    .map(drop)
}

/// The head and the operation `undo` would revert, when that is an `add`.
pub(super) fn undoes_an_add(s: &Setup) -> Result<Option<(Operation, Operation)>, Error> {
    let Some(head) = s.state.head()? else {
        return Ok(None);
    };
    match super::undo::undo_target(&s.state, &head)? {
        Some(target) if target.added.is_some() => Ok(Some((head, target))),
        _ => Ok(None),
    }
}

/// Reverts an `add`: each link removed and its file or folder moved back from the repo, the
/// repo folders it made removed when empty, and the manifest's old bytes put back (the
/// current manifest goes to the backup store) — only while all of it is as `add` left it.
pub(super) fn undo(
    s: Setup,
    head: Operation,
    target: Operation,
    run: Writing,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let added = target.added.clone().expect("an add's record");
    let changed = |change: AddChange| {
        Error::Refused(Refusal::UndoAdd {
            op: target.id,
            change,
        })
    };
    // The manifest as `setup` just read it.
    if oplog::manifest_hash(s.text.as_bytes()) != target.manifest_hash {
        let manifest = s.manifest_path.clone();
        return Err(changed(AddChange::Manifest { manifest }));
    }
    if !observe::exists(&added.manifest_stored) {
        let stored = added.manifest_stored.clone();
        return Err(changed(AddChange::EarlierManifestGone { stored }));
    }
    let mut steps = moving_back(&head, &added, &changed)?;
    for dir in added.repo_folders.iter().rev() {
        steps.push(Step::RemoveFolder { dir: dir.clone() });
    }
    let id = s.state.next_id(Some(&head))?;
    let store = s.state.backup_store()?;
    if let Some(dir) = store.missing() {
        let (dir, mode) = (dir.to_path_buf(), None);
        steps.push(Step::MakeFolder { dir, mode });
    }
    let kept = store.path().join(format!("{id:08}-1"));
    steps.push(Step::MakeFolder {
        dir: kept.clone(),
        mode: None,
    });
    let file = manifest_file(&s)?;
    let current = kept.join(file.file_name().unwrap_or_default());
    steps.extend(replace_manifest(&file, &added.manifest_stored, &current));
    if run.output.notes() {
        say_undoing(&s, &added, target.id, out)?;
    }
    if run.effect == Effect::DryRun {
        if run.output.notes() {
            writeln!(out, "Dry run: nothing was changed.")?;
        }
        return Ok(ExitCode::Ok);
    }
    run_steps(&s, id, crate::command::Command::Undo, steps)?;
    let op = undo_record(&s, id, &head, &target);
    commit(&s, &op)?;
    if run.output.notes() {
        writeln!(
            out,
            "Undid operation {} (add). Operation {id} undid operation {}.",
            target.id, target.id
        )?;
    }
    Ok(ExitCode::Ok)
}

/// The steps that remove each link `add` made and move its file or folder back from the repo,
/// while each is as `add` left it (else the error `changed` makes).
fn moving_back(
    head: &Operation,
    added: &Added,
    changed: &dyn Fn(AddChange) -> Error,
) -> Result<Vec<Step>, Error> {
    let key = |p: &Path| crate::paths::PathKey::new(p, platform::Os::HOST).into_owned();
    let mut steps = Vec::new();
    for m in &added.moved {
        let link = head
            .view
            .iter()
            .find(|o| key(&o.at) == key(&m.at))
            .ok_or_else(|| changed(AddChange::NotOwned { at: m.at.clone() }))?;
        let is_ours = if link.hard {
            observe::same_file(&m.at, &link.text)
        } else {
            matches!(observe::read_link(&m.at), platform::ReadLink::Link(t) if t == link.text)
        };
        if !is_ours {
            return Err(changed(AddChange::NotTheLink { at: m.at.clone() }));
        }
        if !observe::exists(&m.to) {
            return Err(changed(AddChange::NotInRepo { to: m.to.clone() }));
        }
        steps.push(remove_link(&m.at, link));
        steps.push(Step::Move {
            from: m.to.clone(),
            to: m.at.clone(),
        });
    }
    Ok(steps)
}

/// The step that removes the link linkfile owns at `at`.
fn remove_link(at: &Path, link: &OwnedLink) -> Step {
    let link = if link.hard {
        Shape::HardLink {
            original: link.text.clone(),
        }
    } else {
        Shape::Symlink {
            text: link.text.clone(),
            kind: link.flavour(),
        }
    };
    Step::Remove {
        at: at.to_path_buf(),
        link,
    }
}

/// What undoing the `add` will do.
fn say_undoing(s: &Setup, added: &Added, target: u64, out: &mut dyn Write) -> std::io::Result<()> {
    let shown = |p: &Path| match p.strip_prefix(&s.home) {
        Ok(rel) => format!("~/{}", rel.display()),
        Err(_) => p.display().to_string(),
    };
    for m in &added.moved {
        writeln!(
            out,
            "  - {} -> {}  (moved back from the repo)",
            shown(&m.at),
            m.to.strip_prefix(&s.repo).unwrap_or(&m.to).display()
        )?;
    }
    writeln!(
        out,
        "  the manifest goes back to its bytes before operation {target}"
    )
}

/// The record of undo `id` of the `add` `target`: the head's view without the links it made.
fn undo_record(s: &Setup, id: u64, head: &Operation, target: &Operation) -> Operation {
    let key = |p: &Path| crate::paths::PathKey::new(p, platform::Os::HOST).into_owned();
    let old_text = observe::read_bytes(&s.manifest_path).unwrap_or_default();
    let moved: Vec<crate::paths::PathKey> = target
        .added
        .iter()
        .flat_map(|a| &a.moved)
        .map(|m| key(&m.at))
        .collect();
    let view: Vec<OwnedLink> = head
        .view
        .iter()
        .filter(|o| !moved.contains(&key(&o.at)))
        .cloned()
        .collect();
    Operation {
        id,
        parent: Some(head.id),
        time: oplog::now(),
        command: crate::command::Command::Undo,
        manifest: s.manifest_path.clone(),
        manifest_hash: oplog::manifest_hash(&old_text),
        undoes: Some(target.id),
        view,
        backups: Vec::new(),
        restored: Vec::new(),
        folders: Vec::new(),
        removed_folders: Vec::new(),
        released: Vec::new(),
        added: None,
    }
}
