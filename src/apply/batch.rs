//! Many new links in a row, made by several threads at once.
//!
//! An apply into an empty home is mostly `Make` steps, one `symlink` each, in folders made just
//! before them by `MakeFolder` steps; a `symlink` costs the same time whatever else linkfile
//! does, and folders apart take new names at the same time. So a stretch of such steps holding
//! at least [`PARALLEL_FROM`] links runs its folders first, in order, on this thread, and then
//! its links spread over up to [`MOST_THREADS`] threads (no more than the machine runs at once),
//! each taking the links of the next folders in the intent's order (at least [`CHUNK`], the
//! links of one folder never split: `symlink` takes its folder's lock) and walking to them
//! through places of its own: never following a link on the way, as one thread does. A new
//! link goes where nothing is and is never a folder, so no `Make` of the stretch needs another
//! to have run, only the stretch's folders. The hook before each step is called from every
//! thread, one call at a time; progress is told from this thread.
//!
//! If a step fails, the other threads stop before their next step. The steps that ran are
//! rolled back newest first in the intent's order, as one thread's would be: undoing a step
//! looks at the disk, and acts only where the step's own result is there. At the end, the
//! folders every thread wrote in must still be the ones walked to, as for one thread.

use std::io;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use super::run_told;
use super::{Elsewhere, Hooks, Stopped};
use crate::steps::{Failure, Places, Step};

/// The fewest links in a stretch for it to be spread over threads: below it, starting them
/// costs more than it saves.
pub(super) const PARALLEL_FROM: usize = 512;

/// How many links a thread takes at least at a time: the links of whole folders, so that two
/// threads seldom wait on the same folder's lock.
const CHUNK: usize = 64;

/// The most threads making links (more hardly helps: each `symlink` takes its folder's lock).
const MOST_THREADS: usize = 4;

/// How many folders each thread keeps open at most (file descriptors are a limited resource;
/// a thread writes in one folder at a time).
const OPEN_EACH: usize = 32;

/// Where the stretch of `MakeFolder` and `Make` steps starting at `i` ends, and whether it holds
/// enough links to be spread over threads.
pub(super) fn stretch(steps: &[Step], i: usize) -> (usize, bool) {
    let mut links = 0;
    let mut end = i;
    for step in &steps[i..] {
        match step {
            Step::Make { .. } => links += 1,
            Step::MakeFolder { .. } => {}
            _ => break,
        }
        end += 1;
    }
    (end, links >= PARALLEL_FROM)
}

/// The hook called before each step, from any thread.
type BeforeStep<'h> = dyn FnMut(&Step) -> io::Result<()> + Send + 'h;

/// Told how many steps of how many are made.
type Tell<'p> = dyn FnMut(usize, usize) + 'p;

/// Runs `steps[range]` (a stretch [`stretch`] found): its folders in order through
/// `places[0]` on this thread, then its links over several threads, each through places of its
/// own, added to `places` (those of an earlier stretch are taken again); the steps each ran are
/// noted in `elsewhere`.
pub(super) fn run(
    steps: &[Step],
    range: Range<usize>,
    hooks: &mut Hooks,
    places: &mut Vec<Places>,
    elsewhere: &mut Elsewhere,
) -> Result<(), Stopped> {
    let start = range.start;
    let total = steps.len();
    let (folders, links): (Vec<usize>, Vec<usize>) =
        range.partition(|&i| matches!(steps[i], Step::MakeFolder { .. }));
    let mut ran = Vec::with_capacity(folders.len());
    for &i in &folders {
        if let Err(failure) = run_told(hooks.before_step, &steps[i], &mut places[0]) {
            let made = start + ran.len();
            if !failure.made_nothing() {
                ran.push(i);
            }
            return Err(Stopped {
                failure,
                ran: elsewhere.ran(start, &ran),
                made,
            });
        }
        ran.push(i);
        (hooks.progress)(start + ran.len(), total);
    }
    let mut made = start + ran.len();
    let mut first: Option<(usize, Failure)> = None;
    for w in make_links(steps, &links, made, hooks, places) {
        made += w.made;
        if let Some((i, f)) = w.failure
            && first.as_ref().is_none_or(|(j, _)| i < *j)
        {
            first = Some((i, f));
        }
        elsewhere.0.push((w.k, w.ran));
        places.push(w.places);
    }
    match first {
        Some((_, failure)) => Err(Stopped {
            failure,
            ran: elsewhere.ran(start, &ran),
            made,
        }),
        None => {
            (hooks.progress)(made, total);
            Ok(())
        }
    }
}

/// Makes the `links` (steps, by index) over several threads, `done` steps being made before;
/// what each thread did, with its places, in their order (`places[1..]`, those of earlier
/// stretches, are taken out of `places`, and new ones made as needed).
fn make_links(
    steps: &[Step],
    links: &[usize],
    done: usize,
    hooks: &mut Hooks,
    places: &mut Vec<Places>,
) -> Vec<Worked> {
    let chunks = chunks(steps, links);
    let shared = Shared {
        steps,
        links,
        chunks: &chunks,
        next: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        done: AtomicUsize::new(done),
        before_step: Mutex::new(&mut *hooks.before_step),
    };
    let threads = threads_for(chunks.len());
    let anchors = places[0].anchors();
    // Each thread's places: taken again from an earlier stretch, or new; those of an earlier
    // stretch with more threads stay idle.
    let mut theirs = places.split_off(1);
    while theirs.len() < threads {
        theirs.push(Places::for_thread(&anchors, OPEN_EACH));
    }
    let mut theirs: Vec<(usize, Places)> = (1..).zip(theirs).collect();
    let idle = theirs.split_off(threads);
    let mut theirs = theirs.into_iter();
    let mine = theirs.next().expect("at least one thread");
    let progress = (&mut *hooks.progress, steps.len());
    let mut worked = std::thread::scope(|s| {
        let mut started = Vec::new();
        let mut unstarted = Vec::new();
        for (k, p) in theirs {
            // Places are moved in only when the thread starts: one the OS refuses to start is
            // one fewer, the others take its links.
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let spawned = std::thread::Builder::new().spawn_scoped(s, {
                let shared = &shared;
                move || {
                    let p: Places = rx.recv().expect("the places of a started thread");
                    shared.work(k, p, None)
                }
            });
            match spawned {
                Ok(handle) => {
                    tx.send(p).expect("a started thread waits for its places");
                    started.push(handle);
                }
                Err(_) => unstarted.push((k, p)),
            }
        }
        let mut worked = vec![shared.work(mine.0, mine.1, Some(progress))];
        worked.extend(
            unstarted
                .into_iter()
                .chain(idle)
                .map(|(k, p)| Worked::idle(k, p)),
        );
        for handle in started {
            match handle.join() {
                Ok(w) => worked.push(w),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        worked
    });
    worked.sort_by_key(|w| w.k);
    worked
}

/// Where each chunk of `links` ends: at a change of folder, once it holds [`CHUNK`] links.
fn chunks(steps: &[Step], links: &[usize]) -> Vec<usize> {
    let folder = |i: usize| crate::paths::parent(steps[i].place()).map(|d| d.as_os_str());
    let mut ends = Vec::with_capacity(links.len() / CHUNK + 1);
    let mut from = 0;
    for k in 1..links.len() {
        if k - from >= CHUNK && folder(links[k]) != folder(links[k - 1]) {
            ends.push(k);
            from = k;
        }
    }
    ends.push(links.len());
    ends
}

/// How many threads take `chunks` chunks.
fn threads_for(chunks: usize) -> usize {
    crate::cores().min(MOST_THREADS).min(chunks).max(1)
}

/// What the threads share.
struct Shared<'a, 'h> {
    steps: &'a [Step],
    /// The stretch's `Make` steps, by index, in order.
    links: &'a [usize],
    /// Where each chunk of `links` ends.
    chunks: &'a [usize],
    /// The next chunk to take.
    next: AtomicUsize,
    /// Set by the thread whose step failed: the others stop before their next step.
    stop: AtomicBool,
    /// Steps completed in all.
    done: AtomicUsize,
    before_step: Mutex<&'h mut BeforeStep<'h>>,
}

/// What one thread did.
struct Worked {
    /// Which of the run's places it wrote through (its index).
    k: usize,
    /// Those places.
    places: Places,
    /// The steps that ran (the failing one too, unless it made nothing).
    ran: Vec<usize>,
    /// How many completed.
    made: usize,
    /// The step that failed, and how.
    failure: Option<(usize, Failure)>,
}

impl Worked {
    /// A thread that made nothing (not started, or not needed), with its places.
    fn idle(k: usize, places: Places) -> Worked {
        Worked {
            k,
            places,
            ran: Vec::new(),
            made: 0,
            failure: None,
        }
    }
}

impl Shared<'_, '_> {
    /// Takes chunks of links until none is left or a step failed, through `places` (the run's
    /// `k`th); `progress` (this thread's only) is told after each link.
    fn work(&self, k: usize, places: Places, mut progress: Option<(&mut Tell, usize)>) -> Worked {
        let mut w = Worked::idle(k, places);
        'chunks: loop {
            let c = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&end) = self.chunks.get(c) else {
                break;
            };
            let from = c.checked_sub(1).map_or(0, |b| self.chunks[b]);
            for &i in &self.links[from..end] {
                if self.stop.load(Ordering::Relaxed) {
                    break 'chunks;
                }
                let step = &self.steps[i];
                // The hook is held only while it is called.
                let mut before = |step: &Step| {
                    let mut hook = self
                        .before_step
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    (*hook)(step)
                };
                if let Err(f) = run_told(&mut before, step, &mut w.places) {
                    if !f.made_nothing() {
                        w.ran.push(i);
                    }
                    w.failure = Some((i, f));
                    self.stop.store(true, Ordering::Relaxed);
                    break 'chunks;
                }
                w.ran.push(i);
                w.made += 1;
                let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some((tell, total)) = &mut progress {
                    tell(done, *total);
                }
            }
        }
        w
    }
}
