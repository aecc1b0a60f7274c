//! The command line, as clap sees it: a raw description of the arguments, no I/O.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::manifest::OnConflict;
use crate::render::human::DIFF_LINES;

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
    /// be translated is listed on stderr. Writes linkfile.toml in the current folder, or the
    /// file -m names ($LINKFILE_MANIFEST is not read: it names the manifest you have), never
    /// over one; also writes linkfile.schema.json (the manifest's JSON Schema, for editors)
    /// beside it when it is missing.
    #[command(
        after_help = "Examples:\n  linkfile init\n  linkfile init --from-stow bash git nvim\n  linkfile init --from-dotbot install.conf.yaml"
    )]
    Init {
        /// Translate GNU Stow packages (folders of the manifest's folder; all of them when none
        /// is named).
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
    /// the links' places, not linkfile's state. For editors, pre-commit hooks and CI.
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
        (!self.no_diff).then(|| self.diff_lines.unwrap_or(DIFF_LINES))
    }
}

/// The command line checked once: the global options, and what to do as a [`Mode`] with the
/// command's own options resolved (output, dry run, diff limit, selection). Dispatch reads
/// nothing else of the raw arguments.
#[derive(Debug)]
pub struct Invocation {
    /// `-m`: the manifest, when given.
    pub manifest: Option<PathBuf>,
    /// `--home`, when given.
    pub home: Option<PathBuf>,
    /// `--color`.
    pub color: ColorChoice,
    /// What to do.
    pub mode: Mode,
}

/// What to do: a command with its options resolved.
#[derive(Debug)]
pub enum Mode {
    /// A command on the manifest and linkfile's state for it.
    WithState(StateMode),
    /// `check`: the manifest alone, nothing else read.
    Check { verbosity: Verbosity },
    /// `init`: a new manifest in the working folder.
    Init {
        from: InitFrom,
        verbosity: Verbosity,
    },
    /// `completions SHELL`.
    Completions { shell: clap_complete::Shell },
    /// `man`.
    Man,
}

/// The commands that read the manifest together with linkfile's state.
#[derive(Debug)]
pub enum StateMode {
    Plan(PlanMode),
    Apply(ApplyMode),
    Undo(Writing),
    Unlink(UnlinkMode),
    Log(Output),
    Recover(Output),
    Doctor(Output),
    Add(AddMode),
}

/// `plan`'s options.
#[derive(Debug)]
pub struct PlanMode {
    pub output: Output,
    pub pending: PendingExit,
    pub select: Select,
    /// The lines of a conflict's diff to show, `None` for none.
    pub diff_lines: Option<usize>,
}

/// `apply`'s options.
#[derive(Debug)]
pub struct ApplyMode {
    pub run: Writing,
    /// `--on-conflict`: the policy for this run, over the manifest's.
    pub on_conflict: Option<OnConflict>,
    pub select: Select,
}

/// `unlink`'s options.
#[derive(Debug)]
pub struct UnlinkMode {
    pub run: Writing,
    pub select: Select,
}

/// `add`'s options.
#[derive(Debug)]
pub struct AddMode {
    /// The files or folders to move into the repo.
    pub paths: Vec<PathBuf>,
    /// `--to`: where the original goes, relative to the repo.
    pub to: Option<PathBuf>,
    pub verbosity: Verbosity,
}

/// How much a command says: `-q`, neither, or `-v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Who reads a command's output: people, at a verbosity, or programs (`--json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Human(Verbosity),
    Json,
}

impl Output {
    /// Whether the output is JSON: then an error is a JSON object on stdout too.
    pub fn is_json(self) -> bool {
        self == Output::Json
    }

    /// Whether notes beside the result are printed (a carried history, an interrupted
    /// operation pending, the plan's entries): for people, unless `-q`.
    pub fn notes(self) -> bool {
        matches!(self, Output::Human(v) if v != Verbosity::Quiet)
    }

    /// Whether `-v` asks for more.
    pub fn verbose(self) -> bool {
        self == Output::Human(Verbosity::Verbose)
    }
}

/// Whether a writing command changes anything, or only shows what it would do (`--dry-run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Write,
    DryRun,
}

/// How a writing command (`apply`, `undo`, `unlink`) runs and what it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writing {
    pub effect: Effect,
    pub output: Output,
    /// The lines of a conflict's diff to show, `None` for none.
    pub diff_lines: Option<usize>,
}

/// What `plan` exits with when changes are pending: success, or [`crate::ExitCode::Changes`]
/// (`--exit-code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingExit {
    Ok,
    Changes,
}

/// What `init` writes the manifest from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitFrom {
    /// A commented starter manifest.
    Starter,
    /// GNU Stow packages.
    Stow(StowPackages),
    /// The `link` directives of a dotbot config.
    Dotbot(PathBuf),
}

/// The GNU Stow packages `init --from-stow` translates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StowPackages {
    /// The package folders named (every folder here when none is).
    pub names: Vec<String>,
    /// Stow's `--dotfiles`: a `dot-` prefix stands for `.`.
    pub dotfiles: bool,
}

impl Cli {
    /// The command line as a checked [`Invocation`].
    pub fn invocation(self) -> Invocation {
        let verbosity = match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        };
        Invocation {
            manifest: self.manifest,
            home: self.home,
            color: self.color,
            mode: self.command.mode(verbosity),
        }
    }
}

impl Command {
    fn mode(self, v: Verbosity) -> Mode {
        let state = match self {
            Command::Plan {
                json,
                exit_code,
                select,
                diff,
            } => StateMode::Plan(PlanMode {
                output: Output::of(json, v),
                pending: PendingExit::of(exit_code),
                select,
                diff_lines: diff.limit(),
            }),
            Command::Apply {
                dry_run,
                json,
                on_conflict,
                select,
                diff,
            } => StateMode::Apply(ApplyMode {
                run: Writing::of(dry_run, Output::of(json, v), diff.limit()),
                on_conflict,
                select,
            }),
            Command::Undo { dry_run, json } => {
                StateMode::Undo(Writing::of(dry_run, Output::of(json, v), Some(DIFF_LINES)))
            }
            Command::Unlink {
                dry_run,
                select,
                json,
            } => StateMode::Unlink(UnlinkMode {
                run: Writing::of(dry_run, Output::of(json, v), Some(DIFF_LINES)),
                select,
            }),
            Command::Log { json } => StateMode::Log(Output::of(json, v)),
            Command::Recover { json } => StateMode::Recover(Output::of(json, v)),
            Command::Doctor { json } => StateMode::Doctor(Output::of(json, v)),
            Command::Add { paths, to } => StateMode::Add(AddMode {
                paths,
                to,
                verbosity: v,
            }),
            Command::Init {
                from_stow,
                dotfiles,
                from_dotbot,
            } => {
                let from = InitFrom::of(from_stow, dotfiles, from_dotbot);
                return Mode::Init { from, verbosity: v };
            }
            Command::Check => return Mode::Check { verbosity: v },
            Command::Completions { shell } => return Mode::Completions { shell },
            Command::Man => return Mode::Man,
        };
        Mode::WithState(state)
    }
}

impl Output {
    /// From `--json` and the verbosity.
    fn of(json: bool, verbosity: Verbosity) -> Output {
        if json {
            Output::Json
        } else {
            Output::Human(verbosity)
        }
    }
}

impl Writing {
    /// From `--dry-run`, the output and the diff limit.
    fn of(dry_run: bool, output: Output, diff_lines: Option<usize>) -> Writing {
        let effect = if dry_run {
            Effect::DryRun
        } else {
            Effect::Write
        };
        Writing {
            effect,
            output,
            diff_lines,
        }
    }
}

impl PendingExit {
    /// From `--exit-code`.
    fn of(exit_code: bool) -> PendingExit {
        if exit_code {
            PendingExit::Changes
        } else {
            PendingExit::Ok
        }
    }
}

impl InitFrom {
    /// From `--from-stow`, `--dotfiles` and `--from-dotbot` (clap lets only one source through).
    fn of(stow: Option<Vec<String>>, dotfiles: bool, dotbot: Option<PathBuf>) -> InitFrom {
        match (stow, dotbot) {
            (Some(names), _) => InitFrom::Stow(StowPackages { names, dotfiles }),
            (None, Some(config)) => InitFrom::Dotbot(config),
            (None, None) => InitFrom::Starter,
        }
    }
}

impl Mode {
    /// Whether the command prints JSON (`--json`): then an error is a JSON object on stdout too.
    pub fn json(&self) -> bool {
        let Mode::WithState(mode) = self else {
            return false;
        };
        let output = match mode {
            StateMode::Plan(PlanMode { output, .. })
            | StateMode::Log(output)
            | StateMode::Recover(output)
            | StateMode::Doctor(output) => *output,
            StateMode::Apply(ApplyMode { run, .. })
            | StateMode::Undo(run)
            | StateMode::Unlink(UnlinkMode { run, .. }) => run.output,
            StateMode::Add(_) => return false,
        };
        output.is_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(args: &[&str]) -> Mode {
        let argv = std::iter::once("linkfile").chain(args.iter().copied());
        Cli::try_parse_from(argv).unwrap().invocation().mode
    }

    #[test]
    fn plan_resolves_its_output_exit_and_diff() {
        let Mode::WithState(StateMode::Plan(m)) = mode(&["plan", "--json", "--exit-code"]) else {
            panic!("not plan");
        };
        assert_eq!(
            (m.output, m.pending, m.diff_lines),
            (Output::Json, PendingExit::Changes, Some(DIFF_LINES))
        );
        let Mode::WithState(StateMode::Plan(m)) = mode(&["-v", "plan", "--no-diff"]) else {
            panic!("not plan");
        };
        assert_eq!(
            (m.output, m.pending, m.diff_lines),
            (Output::Human(Verbosity::Verbose), PendingExit::Ok, None)
        );
    }

    #[test]
    fn writers_resolve_effect_output_and_selection() {
        let Mode::WithState(StateMode::Apply(m)) = mode(&[
            "-q",
            "apply",
            "--dry-run",
            "--diff-lines",
            "3",
            "--only",
            "git",
        ]) else {
            panic!("not apply");
        };
        let run = Writing {
            effect: Effect::DryRun,
            output: Output::Human(Verbosity::Quiet),
            diff_lines: Some(3),
        };
        assert_eq!((m.run, m.select.only), (run, vec!["git".to_string()]));
        let Mode::WithState(StateMode::Undo(run)) = mode(&["undo", "--json"]) else {
            panic!("not undo");
        };
        let undo = Writing {
            effect: Effect::Write,
            output: Output::Json,
            diff_lines: Some(DIFF_LINES),
        };
        assert_eq!(run, undo);
    }

    #[test]
    fn json_is_known_for_every_command_that_has_it() {
        for args in [
            &["plan", "--json"][..],
            &["apply", "--json"],
            &["undo", "--json"],
            &["unlink", "--json"],
            &["log", "--json"],
            &["recover", "--json"],
            &["doctor", "--json"],
        ] {
            assert!(mode(args).json(), "{args:?}");
            assert!(!mode(&args[..1]).json(), "{args:?}");
        }
        assert!(!mode(&["check"]).json());
        assert!(!mode(&["add", "x"]).json());
    }

    #[test]
    fn init_reads_its_source() {
        let from = |args: &[&str]| match mode(args) {
            Mode::Init { from, .. } => from,
            m => panic!("not init: {m:?}"),
        };
        assert_eq!(from(&["init"]), InitFrom::Starter);
        assert_eq!(
            from(&["init", "--dotfiles", "--from-stow", "git", "vim"]),
            InitFrom::Stow(StowPackages {
                names: vec!["git".into(), "vim".into()],
                dotfiles: true,
            })
        );
        assert_eq!(
            from(&["init", "--from-dotbot", "install.conf.yaml"]),
            InitFrom::Dotbot(PathBuf::from("install.conf.yaml"))
        );
    }
}
