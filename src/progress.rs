//! A progress bar on stderr for a long apply, undo or unlink (indicatif). It is drawn into a
//! buffer that the command copies to its stderr after each step, so the bar goes where the
//! command's other stderr goes (a test's buffer included) and the writer knows nothing of it.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

/// How many changes an operation makes before it shows progress.
pub(crate) const PROGRESS_AFTER: usize = 200;

/// A terminal that is a buffer of the bytes indicatif would write to one.
#[derive(Debug, Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    fn put(&self, s: &str) -> io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(s.as_bytes());
        Ok(())
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl TermLike for Buffer {
    fn width(&self) -> u16 {
        80
    }
    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.put(&format!("\x1b[{n}A"))
    }
    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.put(&format!("\x1b[{n}B"))
    }
    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.put(&format!("\x1b[{n}C"))
    }
    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.put(&format!("\x1b[{n}D"))
    }
    fn write_line(&self, s: &str) -> io::Result<()> {
        self.put(&format!("{s}\n"))
    }
    fn write_str(&self, s: &str) -> io::Result<()> {
        self.put(s)
    }
    fn clear_line(&self) -> io::Result<()> {
        self.put("\r\x1b[2K")
    }
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}

/// The bar of one operation.
pub(crate) struct Progress {
    bar: ProgressBar,
    buffer: Buffer,
}

impl Progress {
    /// A bar for `command`, drawn at most 10 times a second.
    pub(crate) fn new(command: &str) -> Progress {
        let buffer = Buffer::default();
        let target = ProgressDrawTarget::term_like_with_hz(Box::new(buffer.clone()), 10);
        let bar = ProgressBar::with_draw_target(None, target);
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(format!("linkfile {command}"));
        Progress { bar, buffer }
    }

    /// `done` of `total` steps are made; the bar is copied to `err`.
    pub(crate) fn step(&self, done: usize, total: usize, err: &mut dyn Write) {
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
        self.drain(err);
    }

    /// Clears the bar (the command's summary follows on stdout).
    pub(crate) fn finish(self, err: &mut dyn Write) {
        self.bar.finish_and_clear();
        self.drain(err);
    }

    fn drain(&self, err: &mut dyn Write) {
        let bytes = self.buffer.take();
        if !bytes.is_empty() {
            // The bar is a courtesy: a closed stderr does not stop the operation.
            let _ = err.write_all(&bytes).and_then(|()| err.flush());
        }
    }
}
