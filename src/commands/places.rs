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
            *text == d.link_text
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
    let refusals = primitive::choose_all(desired, kinds, &right);
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
    items: Vec<Item>,
    remove_folders: &[PathBuf],
    overlay: Option<&crate::pending::Overlay>,
) -> Result<Vec<Input>, Error> {
    let dropped: std::collections::HashSet<PathBuf> = items
        .iter()
        .filter(|it| it.want != Want::Link)
        .map(|it| it.desired.at.clone())
        .collect();
    let folders: std::collections::HashSet<PathBuf> = remove_folders.iter().cloned().collect();
    let sources = apply::restore_sources(items.iter().map(|it| &it.want));
    let shadowed: Vec<bool> = items
        .iter()
        .map(|it| {
            let at = &it.desired.at;
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
    let mut obstacles = primitive::Obstacles::default();
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
        // Where the bytes at each place are (elsewhere while a rollback is pending).
        let (at, to) = match overlay {
            Some(o) => (o.content(&d.at), o.content(&d.to)),
            None => (d.at.as_path(), d.to.as_path()),
        };
        let file_over_file =
            actual == Actual::File && it.original == Some(EntryKind::File) && it.want == Want::Link;
        let same_bytes = file_over_file && observe::same_bytes(at, to);
        let texts = if file_over_file && !same_bytes {
            observe::small_text(at).zip(observe::small_text(to))
        } else {
            None
        };
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
        });
    }
    Ok(inputs)
}

/// The link linkfile owns at a place, as a [`Desired`] (for removal, undo and display).
pub(super) fn from_owned(o: &OwnedLink) -> Desired {
    let to = resolve::normalize(&o.at.parent().unwrap_or(Path::new("/")).join(&o.text));
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
    let pruned: std::collections::HashSet<&Path> = items
        .iter()
        .filter(|it| it.want == Want::Nothing)
        .map(|it| it.desired.at.as_path())
        .collect();
    // The common case reads nothing more.
    if in_the_way.is_empty()
        || !in_the_way
            .iter()
            .any(|d| pruned.iter().any(|p| p.starts_with(d)))
    {
        return Ok(Vec::new());
    }
    let made: std::collections::HashSet<PathBuf> =
        made_folders(&state.history()?).into_iter().collect();
    // Whether `dir` holds only pruned links and folders like itself; its folders go in `out`.
    fn gives_way(
        dir: &Path,
        made: &std::collections::HashSet<PathBuf>,
        pruned: &std::collections::HashSet<&Path>,
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
                pruned.contains(path.as_path())
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
    folders.sort_by_key(|f| std::cmp::Reverse(f.components().count()));
    folders.dedup();
    folders
}
