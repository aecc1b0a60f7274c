//! `init`: writes a starter or translated manifest in the working folder, never over one.

use std::io::Write;
use std::path::Path;

use crate::cli::{InitFrom, StowPackages, Verbosity};
use crate::error::{Error, InitRefusal, Refusal};
use crate::exit_code::ExitCode;
use crate::init::{self, SCHEMA_NAME, dotbot, stow};
use crate::observe;
use crate::{MANIFEST_NAME, System};

/// A manifest written from something: its text, what could not be translated, and what it
/// was made from (for the message).
struct Made {
    text: String,
    notes: Vec<String>,
    what: String,
    /// Whether the manifest's JSON Schema was written beside it (only when there was none).
    schema_written: bool,
}

/// Runs `linkfile init`: the manifest goes to `-m` (`given`), else to the working folder; what
/// could not be translated is listed on `err`. `home` is `--home`, where stow's global ignore
/// list is looked for.
pub(super) fn run(
    from: &InitFrom,
    given: Option<&Path>,
    verbosity: Verbosity,
    home: Option<&Path>,
    sys: &System,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitCode, Error> {
    // Only an explicit `-m`: $LINKFILE_MANIFEST names the manifest one has, not a new one.
    let manifest = match given {
        Some(path) => crate::paths::normalize(&sys.cwd.join(path)),
        None => sys.cwd.join(MANIFEST_NAME),
    };
    let dir = manifest.parent().unwrap_or(&sys.cwd).to_path_buf();
    let dir = &dir;
    if observe::exists(&manifest) {
        return Err(refused(InitRefusal::ManifestExists { manifest }));
    }
    let mut made = match from {
        InitFrom::Stow(stow) => from_stow(dir, stow, home, sys)?,
        InitFrom::Dotbot(config) => from_dotbot(dir, &sys.cwd.join(config))?,
        InitFrom::Starter => Made {
            text: init::starter(),
            notes: Vec::new(),
            what: "a starter manifest".into(),
            schema_written: false,
        },
    };
    // The generated text is checked by the parser the other commands use.
    let name = manifest
        .file_name()
        .map_or(MANIFEST_NAME.as_ref(), Path::new);
    crate::manifest::parse(name, &made.text).map_err(Error::Manifest)?;
    write_new(&manifest, made.text.as_bytes())?;
    let schema = dir.join(SCHEMA_NAME);
    made.schema_written = !observe::exists(&schema)
        && write_new(&schema, crate::manifest::schema().as_bytes()).is_ok();
    for note in &made.notes {
        writeln!(err, "not translated: {note}")?;
    }
    if verbosity != Verbosity::Quiet {
        let shown = |p: &Path| crate::show::path(p.strip_prefix(&sys.cwd).unwrap_or(p));
        say_written(&made, &shown(&manifest), &shown(&schema), out)?;
    }
    Ok(ExitCode::Ok)
}

/// One `each` entry per stow package folder of `dir` (all of them when none is named).
fn from_stow(
    dir: &Path,
    from: &StowPackages,
    home: Option<&Path>,
    sys: &System,
) -> Result<Made, Error> {
    let packages = stow::packages(dir, &from.names).map_err(|source| Error::Observe {
        path: dir.to_path_buf(),
        source,
    })?;
    if packages.is_empty() {
        let dir = dir.to_path_buf();
        return Err(refused(InitRefusal::NoStowPackages { dir }));
    }
    let home = super::home_dir(home, sys).ok();
    let rc = stowrc(dir, home.as_deref());
    let target = rc.target.clone().unwrap_or_else(|| "~".into());
    let opts = stow::Options {
        dir,
        packages: &packages,
        dot_prefix: if from.dotfiles || rc.dotfiles {
            stow::DotPrefix::StandsForDot
        } else {
            stow::DotPrefix::Literal
        },
        global_ignore: home
            .as_ref()
            .and_then(|h| observe::read_text(&h.join(".stow-global-ignore")).ok()),
        target: &target,
        extra_ignore: &rc.ignore,
    };
    let mut g = stow::generate(&opts).map_err(|m| refused(InitRefusal::StowPackages(m)))?;
    g.notes.splice(0..0, rc.notes);
    if rc.target.is_none()
        && let Some(home) = &home
        && let Some(parent) = dir.parent()
        && crate::containment::real_path(parent) != crate::containment::real_path(home)
    {
        g.notes.push(format!(
            "stow's default target is the stow directory's parent, {}, not your home: the entries link into ~ (a .stowrc with --target says otherwise)",
            crate::show::path(parent)
        ));
    }
    Ok(Made {
        text: g.render(),
        notes: g.notes,
        what: format!("{} stow package(s)", packages.len()),
        schema_written: false,
    })
}

/// The `link` directives of the dotbot config at `config`, for a manifest in `dir`.
fn from_dotbot(dir: &Path, config: &Path) -> Result<Made, Error> {
    let config = crate::paths::normalize(config);
    let text = observe::read_text(&config).map_err(|source| Error::Observe {
        path: config.clone(),
        source,
    })?;
    let opts = dotbot::Options {
        dir,
        config: &config,
        text: &text,
    };
    let g = dotbot::generate(&opts).map_err(|m| refused(InitRefusal::DotbotConfig(m)))?;
    let what = format!(
        "{} link(s) of {}",
        g.short.len() + g.long.len(),
        config.file_name().unwrap_or_default().to_string_lossy()
    );
    Ok(Made {
        text: g.render(),
        notes: g.notes,
        what,
        schema_written: false,
    })
}

/// What init wrote, and what to do next.
fn say_written(
    made: &Made,
    manifest: &str,
    schema: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "Wrote {manifest} ({}).", made.what)?;
    if made.schema_written {
        writeln!(
            out,
            "Wrote {schema} (the manifest's JSON Schema, for editors)."
        )?;
    }
    if !made.notes.is_empty() {
        writeln!(
            out,
            "{} thing(s) were not translated (listed on stderr and at the top of the manifest).",
            made.notes.len()
        )?;
    }
    writeln!(out, "Next: `linkfile plan` shows what apply would do.")
}

fn refused(why: InitRefusal) -> Error {
    Error::Refused(Refusal::Init(why))
}

/// Writes a file that must not exist yet.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| Error::Observe {
            path: path.to_path_buf(),
            source,
        })?;
    f.write_all(bytes).map_err(|source| Error::Observe {
        path: path.to_path_buf(),
        source,
    })
}

/// The `.stowrc` files stow reads (`~/.stowrc`, then the stow directory's), read.
fn stowrc(dir: &Path, home: Option<&Path>) -> stow::Stowrc {
    let mut texts = Vec::new();
    if let Some(home) = home
        && let Ok(text) = observe::read_text(&home.join(".stowrc"))
    {
        texts.push(("~/.stowrc", text));
    }
    if let Ok(text) = observe::read_text(&dir.join(".stowrc")) {
        texts.push((".stowrc", text));
    }
    let texts: Vec<(&str, &str)> = texts.iter().map(|(f, t)| (*f, t.as_str())).collect();
    let home = home.unwrap_or(dir);
    stow::read_stowrc(&texts, dir, home)
}
