//! The places a plan covers, before and while they are observed: what is wanted at each, what
//! linkfile owns there, which primitive makes each link, and the folders that give way.

use super::*;

/// One place to plan, before observation.
pub(super) struct Item {
    pub(super) desired: Desired,
    pub(super) want: Want,
    pub(super) owned: Option<OwnedLink>,
    pub(super) policy: OnConflict,
    pub(super) original: Option<EntryKind>,
    /// What is there, when already observed.
    pub(super) actual: Option<Actual>,
    /// What stops the write, when already known.
    pub(super) obstacle: Option<Box<Obstacle>>,
}

/// Whether `actual` is already the link `d` asks for, made with `d`'s primitive (a quick
/// look for the common case; the planner decides the rest).
pub(super) fn already_right(d: &Desired, kind: Option<EntryKind>, actual: &Actual) -> bool {
    match actual {
        Actual::Link { text, flavour, .. } => {
            crate::platform::same_path(text, &d.link_text)
                && d.link_type != LinkType::Hardlink
                && flavour.is_none_or(|f| Some(f) == kind.map(|k| Flavour::of(k, d.link_type)))
        }
        Actual::HardLinked => d.link_type == LinkType::Hardlink,
        _ => false,
    }
}

/// Chooses the primitive of every link with a `fallback` (trying each once per folder; a
/// junction asked for by name is tried too), and observes again the places of the links that
/// fall back: what is right there now depends on the primitive. Returns, per link, why no
/// primitive fits.
pub(super) fn choose_primitives(
    desired: &mut [Desired],
    kinds: &[Option<EntryKind>],
    actuals: &mut [Actual],
    home: &Path,
) -> Result<Vec<Option<Box<Obstacle>>>, Error> {
    if desired
        .iter()
        .all(|d| d.fallback().is_empty() && d.link_type != LinkType::Junction)
    {
        return Ok(vec![None; desired.len()]);
    }
    // A link that is already what the manifest asks for needs no try.
    let right: Vec<bool> = desired
        .iter()
        .zip(kinds)
        .zip(actuals.iter())
        .map(|((d, kind), a)| already_right(d, *kind, a))
        .collect();
    let refusals = primitive::choose_all(desired, kinds, &right, home);
    let changed: Vec<usize> = (0..desired.len())
        .filter(|&i| desired[i].fell_back().is_some())
        .collect();
    let places: Vec<observe::Place> = changed
        .iter()
        .map(|&i| observe::Place::of(&desired[i]))
        .collect();
    for (i, actual) in changed.iter().zip(observe::link_places(&places)?) {
        actuals[*i] = actual;
    }
    Ok(refusals.into_iter().map(|r| r.map(Box::new)).collect())
}

impl Item {
    /// The place of a link linkfile owns, to be given `want` (removal or a backup put back).
    pub(super) fn owned(o: &OwnedLink, want: Want, policy: OnConflict) -> Item {
        Item::new(from_owned(o), want, Some(o.clone()), policy, Some(o.kind))
    }

    pub(super) fn new(
        desired: Desired,
        want: Want,
        owned: Option<OwnedLink>,
        policy: OnConflict,
        original: Option<EntryKind>,
    ) -> Item {
        Item {
            desired,
            want,
            owned,
            policy,
            original,
            actual: None,
            obstacle: None,
        }
    }
}

/// Observes every item's place. A wanted link below a place that holds a link linkfile owns
/// and no longer wants (or gives back a backup) is not observed through that link (it is
/// removed before the new link is made): its place counts as empty.
/// Likewise a wanted link where a folder linkfile made is removed (`remove_folders`), and a
/// place a restore takes its content from (undoing an adopt). With an interrupted operation
/// pending (`overlay`), a place its rollback changes is observed as the rollback will leave it.
pub(super) fn observe_all(
    mut items: Vec<Item>,
    remove_folders: &[PathBuf],
    mut folder_links: observe::FolderLinks,
    overlay: Option<&crate::pending::Overlay>,
) -> Result<Vec<Input>, Error> {
    observe_pruned(&mut items)?;
    // A pruned place the user changed is released, not emptied: what lies below it is seen as
    // it is.
    let dropped: std::collections::HashSet<PathBuf> = items
        .iter()
        .filter(|it| match (&it.want, &it.actual) {
            (Want::Link, _) => false,
            (Want::Dropped, Some(actual)) => plan::still_owned(it.owned.as_ref(), actual),
            _ => true,
        })
        .map(|it| it.desired.at.clone())
        .collect();
    let folders: std::collections::HashSet<PathBuf> = remove_folders.iter().cloned().collect();
    let sources = apply::restore_sources(items.iter().map(|it| &it.want));
    let shadowed: Vec<bool> = items
        .iter()
        .map(|it| {
            let at = &it.desired.at;
            // A folder link put back where linkfile made a folder that this plan empties.
            if matches!(&it.want, Want::Restore(b) if b.what == BackupKind::FolderLink) {
                return empties(at, &dropped, &folders);
            }
            (it.want == Want::Link
                && (apply::at_or_below_any(at, &folders)
                    || at
                        .parent()
                        .is_some_and(|p| apply::at_or_below_any(p, &dropped))))
                // Emptied by an earlier restore that takes its content from there.
                || sources.contains(at)
        })
        .collect();
    let places: Vec<observe::Place> = items
        .iter()
        .zip(&shadowed)
        .filter(|(it, s)| !**s && it.actual.is_none())
        .map(|(it, _)| observe::Place::of(&it.desired))
        .collect();
    let mut observed = observe::link_places(&places)?.into_iter();
    let mut obstacles = primitive::Obstacles::new(folder_links.home());
    let mut inputs = Vec::with_capacity(items.len());
    for (mut it, shadowed) in items.into_iter().zip(shadowed) {
        let actual = match (shadowed, it.actual.take()) {
            (true, _) => Actual::Missing,
            (false, Some(actual)) => actual,
            (false, None) => observed.next().expect("one observation per place"),
        };
        let actual = match overlay {
            Some(o) if !shadowed => o.actual(observe::Place::of(&it.desired))?.unwrap_or(actual),
            _ => actual,
        };
        let actual = observe::owned_hard_link(actual, &it.desired.at, it.owned.as_ref());
        let d = &it.desired;
        let folder_link = if shadowed {
            None
        } else {
            folder_links.on_the_way(&d.at)
        };
        let is_original = folder_link.is_none()
            && it.want == Want::Link
            && matches!(actual, Actual::File | Actual::Dir)
            && observe::is_original(&d.at, &d.to);
        // Another tool's link: does it lead to the original all the same?
        let resolves = match &actual {
            Actual::Link { text, .. } if it.want == Want::Link && *text != d.link_text => {
                folder_link.is_none() && observe::resolves_to(&d.at, text, &d.to)
            }
            _ => false,
        };
        // Where the bytes at each place are (elsewhere while a rollback is pending).
        let (at, to) = match overlay {
            Some(o) => (o.content(&d.at), o.content(&d.to)),
            None => (d.at.as_path(), d.to.as_path()),
        };
        let file_over_file = actual == Actual::File
            && it.original == Some(EntryKind::File)
            && it.want == Want::Link
            && folder_link.is_none()
            && !is_original;
        let same_bytes = file_over_file && observe::same_bytes(at, to);
        let texts = if file_over_file && !same_bytes {
            observe::small_text(at).zip(observe::small_text(to))
        } else {
            None
        };
        let undiffable = (file_over_file && !same_bytes && texts.is_none())
            .then(|| undiffable(at, to))
            .flatten();
        // Only a place that will be written can be refused (a right link costs nothing more).
        let right = it.want == Want::Link && already_right(d, it.original, &actual);
        let obstacle = match it.obstacle {
            Some(o) => Some(o),
            None if right => None,
            None => obstacles.check(&it.desired, &it.want).map(Box::new),
        };
        inputs.push(Input {
            desired: it.desired,
            want: it.want,
            owned: it.owned,
            policy: it.policy,
            same_bytes,
            original: it.original,
            obstacle,
            actual,
            texts,
            folder_link,
            is_original,
            adopt_refused: None,
            resolves,
            undiffable,
        });
    }
    Ok(inputs)
}

/// The link linkfile owns at a place, as a [`Desired`] (for removal, undo and display).
pub(super) fn from_owned(o: &OwnedLink) -> Desired {
    let to = crate::paths::normalize(&o.at.parent().unwrap_or(Path::new("/")).join(&o.text));
    Desired {
        at: o.at.clone(),
        to,
        link_text: o.text.clone(),
        kind: Some(o.kind),
        at_span: 0..0,
        to_span: 0..0,
        on_conflict: OnConflict::Fail,
        link_type: o.link_type(),
        relative: false,
        extra: resolve::Extra {
            fell_back: o.fallback.as_deref().map(str::to_string),
            tags: o.tags.clone(),
            ..resolve::Extra::default()
        }
        .boxed(),
    }
}

/// The folders linkfile made and no later operation removed (`history`: newest first).
pub(super) fn made_folders(history: &[Operation]) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = Vec::new();
    for op in history.iter().rev() {
        folders.retain(|f| !op.removed_folders.contains(f));
        folders.extend(op.folders.iter().cloned());
    }
    folders
}

/// Folders in the way of a wanted link that go away by themselves: linkfile made them, and all
/// they hold is links it prunes in this operation and folders of the same kind (an `each`
/// entry turned into one link to the whole folder). They are removed, deepest first, once
/// emptied, and the link is made in their place. Anything else in such a folder keeps it a
/// `dir-in-the-way` conflict.
pub(super) fn folders_giving_way(items: &[Item], state: &State) -> Result<Vec<PathBuf>, Error> {
    let in_the_way: Vec<&Path> = items
        .iter()
        .filter(|it| it.want == Want::Link && it.actual == Some(Actual::Dir))
        .map(|it| it.desired.at.as_path())
        .collect();
    let pruned: HashMap<&Path, &OwnedLink> = items
        .iter()
        .filter(|it| it.want == Want::Dropped)
        .filter_map(|it| Some((it.desired.at.as_path(), it.owned.as_ref()?)))
        .collect();
    // The common case reads nothing more.
    if in_the_way.is_empty()
        || !in_the_way
            .iter()
            .any(|d| pruned.keys().any(|p| p.starts_with(d)))
    {
        return Ok(Vec::new());
    }
    let made: std::collections::HashSet<PathBuf> =
        made_folders(&state.history()?).into_iter().collect();
    // Whether `dir` holds only pruned links (still as linkfile made them: a changed one is
    // released and stays) and folders like itself; its folders go in `out`.
    fn gives_way(
        dir: &Path,
        made: &std::collections::HashSet<PathBuf>,
        pruned: &HashMap<&Path, &OwnedLink>,
        out: &mut Vec<PathBuf>,
    ) -> bool {
        if !made.contains(dir) {
            return false;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return false;
        };
        for e in entries {
            let Ok(e) = e else { return false };
            let path = e.path();
            let Ok(ft) = e.file_type() else { return false };
            let ok = if ft.is_dir() {
                gives_way(&path, made, pruned, out)
            } else {
                pruned
                    .get(path.as_path())
                    .is_some_and(|o| holds_owned_link(o))
            };
            if !ok {
                return false;
            }
        }
        out.push(dir.to_path_buf());
        true
    }
    let mut out = Vec::new();
    for dir in in_the_way {
        let mut these = Vec::new();
        if gives_way(dir, &made, &pruned, &mut these) {
            out.extend(these);
        }
    }
    Ok(deepest_first(out))
}

pub(super) fn deepest_first(mut folders: Vec<PathBuf>) -> Vec<PathBuf> {
    // By depth, then by path, so that duplicates sit together.
    folders.sort_by(|a, b| (b.components().count(), a).cmp(&(a.components().count(), b)));
    folders.dedup();
    folders
}

/// The place of a folder link that an operation unfolded, to be given back its link.
pub(super) fn folder_link_restore(b: &Backup) -> Item {
    let text = b.text.clone().unwrap_or_default();
    let to = crate::paths::normalize(&b.at.parent().unwrap_or(Path::new("/")).join(&text));
    let place = Desired {
        at: b.at.clone(),
        to,
        link_text: text,
        kind: Some(EntryKind::Dir),
        at_span: 0..0,
        to_span: 0..0,
        on_conflict: OnConflict::Fail,
        link_type: LinkType::Symlink,
        relative: false,
        extra: None,
    };
    Item::new(
        place,
        Want::Restore(b.clone()),
        None,
        OnConflict::Fail,
        Some(EntryKind::Dir),
    )
}

/// Whether the folder `dir` holds only what this plan removes: links at `removed` places and
/// folders in `folders` that hold the same (then it is removed, and the place is empty).
fn empties(
    dir: &Path,
    removed: &std::collections::HashSet<PathBuf>,
    folders: &std::collections::HashSet<PathBuf>,
) -> bool {
    if !folders.contains(dir) {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.into_iter().all(|e| {
        let Ok(e) = e else { return false };
        let path = e.path();
        match e.file_type() {
            Ok(ft) if ft.is_dir() => empties(&path, removed, folders),
            Ok(_) => removed.contains(&path),
            Err(_) => false,
        }
    })
}

/// Observes the places of pruned links first: whether each still holds linkfile's link decides
/// what the other places are observed through.
fn observe_pruned(items: &mut [Item]) -> Result<(), Error> {
    let pruned: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].want == Want::Dropped && items[i].actual.is_none())
        .collect();
    if pruned.is_empty() {
        return Ok(());
    }
    let places: Vec<observe::Place> = pruned
        .iter()
        .map(|&i| observe::Place::of(&items[i].desired))
        .collect();
    let observed = observe::link_places(&places)?;
    for (i, actual) in pruned.into_iter().zip(observed) {
        let it = &mut items[i];
        it.actual = Some(observe::owned_hard_link(
            actual,
            &it.desired.at,
            it.owned.as_ref(),
        ));
    }
    Ok(())
}

/// Whether the link linkfile made at `o.at` is still there as it made it.
fn holds_owned_link(o: &OwnedLink) -> bool {
    let d = from_owned(o);
    observe::link_place(observe::Place::of(&d))
        .map(|actual| observe::owned_hard_link(actual, &o.at, Some(o)))
        .is_ok_and(|actual| plan::still_owned(Some(o), &actual))
}

/// The folders linkfile made for the links this operation prunes, to be removed once emptied:
/// each folder above a pruned place that linkfile made, up to the first it did not make, as
/// long as no wanted link lies in it and it is a real folder reached without passing through a
/// link. A folder that still holds something is left by the removal itself.
pub(super) fn folders_emptied_by_prune(
    items: &[Item],
    state: &State,
    home: &Path,
) -> Result<Vec<PathBuf>, Error> {
    let pruned: Vec<&Path> = items
        .iter()
        .filter(|it| it.want == Want::Dropped)
        .map(|it| it.desired.at.as_path())
        .collect();
    if pruned.is_empty() {
        return Ok(Vec::new());
    }
    let made: std::collections::HashSet<PathBuf> =
        made_folders(&state.history()?).into_iter().collect();
    let wanted: std::collections::HashSet<&Path> = items
        .iter()
        .filter(|it| it.want != Want::Dropped)
        .flat_map(|it| it.desired.at.ancestors())
        .collect();
    let mut out = Vec::new();
    for at in pruned {
        for dir in at.ancestors().skip(1) {
            if !made.contains(dir)
                || wanted.contains(dir)
                || !reached_without_links(dir, home, &made)
            {
                break;
            }
            out.push(dir.to_path_buf());
        }
    }
    Ok(out)
}

/// Whether `dir` and every folder above it are real folders, not links (nor junctions): below
/// the home up to it, elsewhere up to the first folder linkfile did not make.
fn reached_without_links(
    dir: &Path,
    home: &Path,
    made: &std::collections::HashSet<PathBuf>,
) -> bool {
    for a in dir.ancestors() {
        if a == home {
            return true;
        }
        let real =
            std::fs::symlink_metadata(a).is_ok_and(|m| m.is_dir() && !m.file_type().is_symlink());
        if !real {
            return false;
        }
        if !made.contains(a) && !a.starts_with(home) {
            return true;
        }
    }
    true
}

/// Two files that differ and are not diffed: whether one is binary, and both sizes.
fn undiffable(there: &Path, original: &Path) -> Option<crate::plan::Undiffable> {
    let size = |p: &Path| std::fs::metadata(p).ok().map(|m| m.len());
    let (there_size, original_size) = (size(there)?, size(original)?);
    // Two small files that were not both read as text: one of them is not text.
    let small = there_size <= observe::SMALL_TEXT && original_size <= observe::SMALL_TEXT;
    Some(crate::plan::Undiffable {
        binary: small || observe::looks_binary(there) || observe::looks_binary(original),
        there: there_size,
        original: original_size,
    })
}
