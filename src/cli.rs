//! The command line, as clap sees it: a raw description of the arguments, no I/O.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::manifest::OnConflict;

/// Keep the links of your dotfiles repo in place: plan shows what differs, apply makes it so.
///
/// The manifest (linkfile.toml) lists links: `at` is where a link goes, `to` the original in the
/// repo. linkfile never overwrites anything that is not a link: what is in the way is reported as
/// a conflict and nothing is changed.
#[derive(Debug, Parser)]
#[command(name = "linkfile", version, max_term_width = 100)]
pub struct Cli {
    /// The manifest [default: $LINKFILE_MANIFEST, else linkfile.toml here or in the nearest folder above]
    #[arg(short, long, global = true, value_name = "MANIFEST")]
    pub manifest: Option<PathBuf>,
    /// What `~` means [default: $LINKFILE_HOME, else your home folder]
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// When to colour the output (NO_COLOR turns `auto` off)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Print less: only errors (and plan's summary line)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: also the links that are already right
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what apply would do, without touching anything.
    Plan {
        /// Print the plan as JSON (schemas/plan.schema.json).
        #[arg(long)]
        json: bool,
        /// Exit with 2 when changes or conflicts are pending, 0 when none.
        #[arg(long)]
        exit_code: bool,
    },
    /// Make the filesystem match the manifest, all or nothing.
    Apply {
        /// Show the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the result as JSON (schemas/plan.schema.json).
        #[arg(long)]
        json: bool,
        /// What to do with things in the way, for this run (only `fail` is supported yet).
        #[arg(long, value_enum, value_name = "POLICY")]
        on_conflict: Option<OnConflict>,
    },
}
