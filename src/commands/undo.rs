//! `undo` and `unlink`: their sessions are planned in [`crate::pipeline::undo`].

pub(super) use crate::pipeline::undo::undo_target;
