//! `init`: writes a starter or translated manifest in the working folder, never over one.

use std::io::Write;
use std::path::Path;

use crate::cli::{Cli, Command};
use crate::error::Error;
use crate::init::{self, SCHEMA_NAME, dotbot, stow};
use crate::{EXIT_OK, MANIFEST_NAME, System};

/// Runs `linkfile init`: the manifest goes to the working folder; what could not be translated
/// is listed on `err`.
pub fn run(cli: &Cli, sys: &System, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Error> {
    let Command::Init {
        from_stow,
        dotfiles,
        from_dotbot,
    } = &cli.command
    else {
        unreachable!("dispatched on Init")
    };
    let dir = &sys.cwd;
    let manifest = dir.join(MANIFEST_NAME);
    if std::fs::symlink_metadata(&manifest).is_ok() {
        return Err(Error::Refused {
            message: format!("{} already exists; nothing was written", manifest.display()),
            hint: Some(
                "linkfile init never overwrites a manifest: move it aside, or run init in another folder"
                    .into(),
            ),
        });
    }
    let (text, notes, what) = match (from_stow, from_dotbot) {
        (Some(named), _) => {
            let packages = stow::packages(dir, named).map_err(|source| Error::Observe {
                path: dir.clone(),
                source,
            })?;
            if packages.is_empty() {
                return Err(refused(
                    format!("no stow package folders in {}", dir.display()),
                    "run init --from-stow in your stow directory, or name the packages",
                ));
            }
            let opts = stow::Options {
                dir,
                packages: &packages,
                dotfiles: *dotfiles,
                global_ignore: global_stow_ignore(cli, sys),
            };
            let g = stow::generate(&opts)
                .map_err(|m| refused(m, "name the package folders of this folder"))?;
            let what = format!("{} stow package(s)", packages.len());
            (g.render(), g.notes, what)
        }
        (None, Some(config)) => {
            let config = crate::paths::normalize(&dir.join(config));
            let text = std::fs::read_to_string(&config).map_err(|source| Error::Observe {
                path: config.clone(),
                source,
            })?;
            let opts = dotbot::Options {
                dir,
                config: &config,
                text: &text,
            };
            let g = dotbot::generate(&opts).map_err(|m| {
                refused(m, "give the dotbot config (install.conf.yaml) of this repo")
            })?;
            let what = format!(
                "{} link(s) of {}",
                g.short.len() + g.long.len(),
                config.file_name().unwrap_or_default().to_string_lossy()
            );
            (g.render(), g.notes, what)
        }
        (None, None) => (init::starter(), Vec::new(), "a starter manifest".into()),
    };
    // The generated text is checked by the parser the other commands use.
    crate::manifest::parse(Path::new(MANIFEST_NAME), &text).map_err(Error::Manifest)?;
    write_new(&manifest, text.as_bytes())?;
    let schema = dir.join(SCHEMA_NAME);
    let schema_written = std::fs::symlink_metadata(&schema).is_err()
        && write_new(&schema, crate::manifest::schema().as_bytes()).is_ok();
    for note in &notes {
        writeln!(err, "not translated: {note}")?;
    }
    if !cli.quiet {
        writeln!(out, "Wrote {MANIFEST_NAME} ({what}).")?;
        if schema_written {
            writeln!(
                out,
                "Wrote {SCHEMA_NAME} (the manifest's JSON Schema, for editors)."
            )?;
        }
        if !notes.is_empty() {
            writeln!(
                out,
                "{} thing(s) were not translated (listed on stderr and at the top of the manifest).",
                notes.len()
            )?;
        }
        writeln!(out, "Next: `linkfile plan` shows what apply would do.")?;
    }
    Ok(EXIT_OK)
}

fn refused(message: String, hint: &str) -> Error {
    Error::Refused {
        message: format!("{message}; nothing was written"),
        hint: Some(hint.into()),
    }
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

/// The home's `.stow-global-ignore` (stow reads it when a package has no local list).
fn global_stow_ignore(cli: &Cli, sys: &System) -> Option<String> {
    let home = super::home_dir(cli.home.as_deref(), sys).ok()?;
    std::fs::read_to_string(home.join(".stow-global-ignore")).ok()
}
