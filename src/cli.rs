//! The command line, as clap sees it: a raw description of the arguments, no I/O.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::manifest::OnConflict;

/// Keep the links of your dotfiles repo in place: plan shows what differs, apply makes it so.
///
/// The manifest (linkfile.toml) lists links: `at` is where a link goes, `to` the original in the
/// repo. linkfile never overwrites anything that is not a link: what is in the way is a conflict,
/// or, with on_conflict = "backup", is moved to the backup store first; a link it made that
/// the manifest dropped and the user changed is released, left as it is. Every apply, undo and
/// unlink is recorded (linkfile log) and can be undone (linkfile undo).
#[derive(Debug, Parser)]
#[command(name = "linkfile", version, max_term_width = 100)]
pub struct Cli {
    /// The manifest [default: $LINKFILE_MANIFEST, else linkfile.toml here or in the nearest folder above]
    #[arg(short, long, global = true, value_name = "MANIFEST")]
    pub manifest: Option<PathBuf>,
    /// What `~` means [default: $LINKFILE_HOME, else your home folder]; a home given here or by $LINKFILE_HOME isolates: ${HOME} is it, and no link goes outside it
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// When to colour the output (`auto`: on a terminal whose TERM is not dumb; NO_COLOR and CLICOLOR=0 turn it off, CLICOLOR_FORCE on)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Print less: only errors, the conflicts an operation refuses on (with their hints), and
    /// plan's summary line
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: also the links that are already right, the vars' values, and the entries
    /// whose `when` does not hold here
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Which entries an operation touches; the others are left as they are.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Select {
    /// Only the entries with this tag, or the links at or below this path (a path has a `/`
    /// or starts with `~` or `.`); may be given several times
    #[arg(long, value_name = "TAG|PATH")]
    pub only: Vec<String>,
    /// Not the entries with this tag, nor the links at or below this path; may be given
    /// several times
    #[arg(long, value_name = "TAG|PATH")]
    pub except: Vec<String>,
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal (TERM not `dumb`), unless NO_COLOR or CLICOLOR=0; also in a pipe with CLICOLOR_FORCE.
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
    #[command(
        after_help = "Examples:\n  linkfile plan\n  linkfile plan --only git --exit-code\n  linkfile plan --json > plan.json"
    )]
    Plan {
        /// Print the plan as JSON (schemas/plan.schema.json).
        #[arg(long)]
        json: bool,
        /// Exit with 2 when changes, conflicts or releases are pending, 0 when none.
        #[arg(long)]
        exit_code: bool,
        #[command(flatten)]
        select: Select,
        #[command(flatten)]
        diff: DiffArgs,
    },
    /// Make the filesystem match the manifest, all or nothing.
    #[command(
        after_help = "Examples:\n  linkfile apply\n  linkfile apply --dry-run\n  linkfile apply --on-conflict backup --except work"
    )]
    Apply {
        /// Show the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the result as JSON (schemas/plan.schema.json).
        #[arg(long)]
        json: bool,
        /// What to do with things in the way, for this run (overrides the manifest)
        #[arg(long, value_enum, value_name = "POLICY")]
        on_conflict: Option<OnConflict>,
        #[command(flatten)]
        select: Select,
        #[command(flatten)]
        diff: DiffArgs,
    },
    /// Revert the last operation not yet undone (itself a new operation; undo twice walks back two).
    #[command(after_help = "Examples:\n  linkfile undo --dry-run\n  linkfile undo")]
    Undo {
        /// Show the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the result as JSON (schemas/plan.schema.json; an error as schemas/error.schema.json).
        #[arg(long)]
        json: bool,
    },
    /// List past operations, newest first.
    #[command(after_help = "Examples:\n  linkfile log\n  linkfile log --json")]
    Log {
        /// Print the operation records as JSON (schemas/log.schema.json).
        #[arg(long)]
        json: bool,
    },
    /// Remove every link this manifest owns and put back what was backed up.
    #[command(
        after_help = "Examples:\n  linkfile unlink --dry-run\n  linkfile unlink --only ~/.config/nvim\n  linkfile unlink"
    )]
    Unlink {
        /// Show the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        select: Select,
        /// Print the result as JSON (schemas/plan.schema.json; an error as schemas/error.schema.json).
        #[arg(long)]
        json: bool,
    },
    /// Roll back an interrupted operation, leaving in place what cannot be decided.
    #[command(after_help = "Examples:\n  linkfile recover\n  linkfile recover && linkfile plan")]
    Recover {
        /// Print the result as JSON (schemas/recover.schema.json).
        #[arg(long)]
        json: bool,
    },
    /// Try, in each folder the manifest links into, which kinds of link can be made there.
    ///
    /// Makes a symlink, a hard link and (on Windows) a junction under a temporary name in each
    /// folder, reads it back and removes it, and says which primitive apply would use there
    /// (after `fallback`); on Windows also tells whether Developer Mode is on and whether this
    /// shell is elevated. Exit 0 when every link can be made as the manifest asks, 1 otherwise.
    #[command(
        after_help = "Examples:\n  linkfile doctor\n  linkfile -m ~/dotfiles/linkfile.toml doctor"
    )]
    Doctor {
        /// Print what was found as JSON (schemas/doctor.schema.json).
        #[arg(long)]
        json: bool,
    },
    /// Move files or folders from the home into the repo and link them back, as one operation.
    ///
    /// Each PATH (a file or folder below the home, not a link) is moved into the repo — by
    /// default to the same place below the repo as it has below the home (`~/.config/nvim` goes
    /// to `<repo>/.config/nvim`), or to `--to` —, an entry is added to the manifest's `[links]`
    /// table (the rest of the manifest is kept byte for byte), and the link is made. `linkfile
    /// undo` puts the files back, removes the repo copies and restores the manifest's bytes.
    #[command(
        after_help = "Examples:\n  linkfile add ~/.gitconfig\n  linkfile add ~/.config/nvim --to nvim\n  linkfile add ~/.bashrc ~/.inputrc"
    )]
    Add {
        /// The files or folders to move into the repo.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Where the original goes, relative to the repo (one PATH only).
        #[arg(long, value_name = "REPO_PATH")]
        to: Option<PathBuf>,
    },
    /// Write a starter linkfile.toml in the current folder, or translate a stow or dotbot setup.
    ///
    /// Bare, writes a commented starter manifest. With --from-stow, one `each` entry per
    /// package folder (every folder here when none is named), with stow's default ignore list;
    /// with --from-dotbot, the `link` directives of a dotbot config (YAML or JSON). What cannot
    /// be translated is listed on stderr. Never overwrites a linkfile.toml; also writes
    /// linkfile.schema.json (the manifest's JSON Schema, for editors) when it is missing.
    #[command(
        after_help = "Examples:\n  linkfile init\n  linkfile init --from-stow bash git nvim\n  linkfile init --from-dotbot install.conf.yaml"
    )]
    Init {
        /// Translate GNU Stow packages (folders of this folder; all of them when none is named).
        #[arg(long, value_name = "PKG", num_args = 0.., conflicts_with = "from_dotbot")]
        from_stow: Option<Vec<String>>,
        /// With --from-stow: stow's --dotfiles (a `dot-` prefix stands for `.`).
        #[arg(long, requires = "from_stow")]
        dotfiles: bool,
        /// Translate the `link` directives of a dotbot config (install.conf.yaml or .json).
        #[arg(long, value_name = "FILE")]
        from_dotbot: Option<PathBuf>,
    },
    /// Check the manifest without looking at the filesystem: exit 0 when it is valid, 1 if not.
    ///
    /// Parses and resolves the manifest for this machine (vars, `when`, paths, duplicates) and
    /// reports every error as plan would, but reads nothing else: not the repo's originals, not
    /// the links' places. For editors, pre-commit hooks and CI.
    #[command(
        after_help = "Examples:\n  linkfile check\n  linkfile -m ~/dotfiles/linkfile.toml check\n  linkfile -q check && linkfile apply"
    )]
    Check,
    /// Print a completion script for a shell.
    #[command(
        after_help = "Examples:\n  linkfile completions bash > ~/.local/share/bash-completion/completions/linkfile\n  linkfile completions zsh > ~/.zfunc/_linkfile\n  linkfile completions fish > ~/.config/fish/completions/linkfile.fish"
    )]
    Completions {
        /// The shell to write the script for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), to install or read with man.
    #[command(
        after_help = "Examples:\n  linkfile man > ~/.local/share/man/man1/linkfile.1\n  linkfile man | man -l -"
    )]
    Man,
}

/// How much of a conflict's diff the human plan shows.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DiffArgs {
    /// Show at most N lines of each conflict's diff (after its ---/+++ header), then
    /// "... M more lines" [default: 40]
    #[arg(long, value_name = "N", conflicts_with = "no_diff")]
    pub diff_lines: Option<usize>,
    /// Show no diff under conflicts
    #[arg(long)]
    pub no_diff: bool,
}

impl DiffArgs {
    /// The lines of a diff to show, `None` for none.
    pub fn limit(&self) -> Option<usize> {
        (!self.no_diff).then(|| self.diff_lines.unwrap_or(crate::render::human::DIFF_LINES))
    }
}

impl Cli {
    /// Whether the command prints JSON (`--json`): then an error is a JSON object on stdout too.
    pub fn json(&self) -> bool {
        match &self.command {
            Command::Plan { json, .. }
            | Command::Apply { json, .. }
            | Command::Undo { json, .. }
            | Command::Log { json }
            | Command::Unlink { json, .. }
            | Command::Recover { json }
            | Command::Doctor { json } => *json,
            _ => false,
        }
    }
}
