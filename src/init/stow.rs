//! `init --from-stow`: one `each` entry at `~` per package folder, stow's ignore list written
//! out as `ignore` globs, and stow's `--dotfiles` (`dot-foo` is linked as `.foo`) as explicit
//! entries for the renamed paths, since `each` links every file under its own name.
//!
//! Stow's ignore lists are Perl regexps: one without a `/` must match a whole path segment
//! anywhere, one with a `/` matches from a segment boundary of the path below the package (`^/`:
//! from the package's root). The built-in list (stow's `default-ignore-list`) is used unless the
//! package has a `.stow-local-ignore`, else the home has a `.stow-global-ignore`, as stow does.

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::{Generated, LongEntry, glob_literal, literal};

/// Stow's built-in ignore list (its `default-ignore-list`), as globs: the unanchored patterns
/// match a path segment at any depth (`**/`), the `^/` ones only at the package's root.
pub(crate) const DEFAULT_IGNORE: &[&str] = &[
    "**/RCS",
    "*,v",
    "**/CVS",
    "**/.#*",
    "**/.cvsignore",
    "**/.svn",
    "**/_darcs",
    "**/.hg",
    "**/.git",
    "**/.gitignore",
    "**/.gitmodules",
    "*~",
    "**/#*#",
    "README*",
    "LICENSE*",
    "COPYING",
];

/// Stow never links a package's own ignore list.
const LOCAL_IGNORE: &str = ".stow-local-ignore";

/// A stow ignore file's regexps as globs; the lines that are not plain enough to translate are
/// returned as notes.
pub(crate) fn translate_ignore_file(text: &str, file: &str) -> (Vec<String>, Vec<String>) {
    let (mut globs, mut notes) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // As stow reads it: a comment after white space, then `\#` for `#`.
        let re = match line.find(" #").or_else(|| line.find("\t#")) {
            Some(i) => line[..i].trim_end(),
            None => line,
        };
        match regex_to_glob(re) {
            Some(g) => globs.push(g),
            None => notes.push(format!(
                "{file}: the pattern `{re}` is a regular expression linkfile's globs cannot say; add an `ignore` glob by hand"
            )),
        }
    }
    (globs, notes)
}

/// A stow ignore regexp made of literal characters, `.*` and `.+`, as a glob; `None` otherwise.
fn regex_to_glob(re: &str) -> Option<String> {
    let (rooted, body) = match re.strip_prefix("^/") {
        Some(rest) => (true, rest),
        None => (false, re),
    };
    let glob = regex_body(body.strip_suffix('$').unwrap_or(body))?;
    Some(match (rooted, body.contains('/')) {
        (true, _) => glob,
        (false, _) if glob.starts_with('*') => glob,
        (false, _) => format!("**/{glob}"),
    })
}

/// The glob for a regexp of literal characters, `.`, `.*` and `.+`; `None` for anything else.
fn regex_body(body: &str) -> Option<String> {
    let mut glob = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next()?;
                if next.is_alphanumeric() {
                    return None; // \d, \w, \s...
                }
                glob.push_str(&super::glob_literal(&next.to_string()));
            }
            '.' => match chars.peek() {
                Some('*') => {
                    chars.next();
                    glob.push('*');
                }
                Some('+') => {
                    chars.next();
                    glob.push_str("?*");
                }
                _ => glob.push('?'),
            },
            '^' | '$' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '*' | '+' | '?' => return None,
            c => glob.push(c),
        }
    }
    // `.+` alone before the rest: `?*,v` matches what `*,v` does, less the bare name.
    Some(glob.replace("?*", "*"))
}

/// A `.stowrc` (stow's options, read before the command line's): what init uses of it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Stowrc {
    /// `--target`, as the manifest writes a place (`~/...`, `${VAR}/...`, absolute).
    pub target: Option<String>,
    /// `--dotfiles`.
    pub dotfiles: bool,
    /// `--ignore` regexps (matched at the end of a path below the package), as globs.
    pub ignore: Vec<String>,
    pub notes: Vec<String>,
}

/// The options of stow's `.stowrc` files, `texts` (file shown, text) in the order stow reads
/// them (`~/.stowrc`, then the stow directory's); `dir` is the stow directory and `home` the
/// home, to write a `--target` as a place below `~`.
pub(crate) fn read_stowrc(texts: &[(&str, &str)], dir: &Path, home: &Path) -> Stowrc {
    let mut rc = Stowrc::default();
    for (file, text) in texts {
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut i = 0;
        while i < words.len() {
            let word = words[i];
            i += 1;
            // `--opt=value`, `--opt value`, `-t value`, `-tvalue`.
            let mut value = |long: &str, short: Option<&str>| -> Option<String> {
                if let Some(v) = word.strip_prefix(&format!("{long}=")) {
                    return Some(v.to_string());
                }
                let bare = word == long || short.is_some_and(|s| word == s);
                if bare {
                    i += 1;
                    return words.get(i - 1).map(|v| v.to_string());
                }
                let glued = short.and_then(|s| word.strip_prefix(s));
                glued.filter(|v| !v.is_empty()).map(str::to_string)
            };
            if let Some(t) = value("--target", Some("-t")) {
                rc.target = Some(target_place(&t, dir, home));
            } else if let Some(re) = value("--ignore", None) {
                match regex_body(&re) {
                    Some(glob) if glob.starts_with('*') => rc.ignore.push(glob),
                    Some(glob) => rc.ignore.push(format!("*{glob}")),
                    None => rc.notes.push(format!(
                        "{file}: --ignore={re} is a regular expression linkfile's globs cannot say; add an `ignore` glob by hand"
                    )),
                }
            } else if let Some(v) = value("--dir", Some("-d")) {
                rc.notes.push(format!(
                    "{file}: --dir {v} (init reads the packages beside the manifest)"
                ));
            } else if let Some((opt, v)) = ["--defer", "--override"]
                .iter()
                .find_map(|o| value(o, None).map(|v| (o, v)))
            {
                rc.notes.push(format!(
                    "{file}: {opt}={v} (linkfile owns each place by one entry; no deferring)"
                ));
            } else if word == "--dotfiles" {
                rc.dotfiles = true;
            } else if matches!(
                word,
                "--no-folding" | "-v" | "--verbose" | "-n" | "--no" | "--simulate"
            ) || word.starts_with("--verbose=")
            {
                // `each` never folds; the others change nothing stow links.
            } else {
                rc.notes.push(format!(
                    "{file}: the option {word} (init reads --target, --ignore, --dotfiles, --no-folding)"
                ));
            }
        }
    }
    rc
}

/// A stow `--target` as the manifest writes a place: `~`, `$HOME` and places below the home
/// as `~/...`, other variables as `${VAR}`, a relative one from the stow directory.
fn target_place(target: &str, dir: &Path, home: &Path) -> String {
    let target = target.trim_end_matches('/');
    let home_rest = ["~", "$HOME", "${HOME}"].iter().find_map(|h| {
        target
            .strip_prefix(h)
            .filter(|r| r.is_empty() || r.starts_with('/'))
    });
    if let Some(rest) = home_rest {
        return format!("~{}", super::env_path(rest));
    }
    if target.starts_with('$') {
        return super::env_path(target);
    }
    let path = crate::paths::normalize(&dir.join(target));
    match path.strip_prefix(home) {
        Ok(rel) if rel.as_os_str().is_empty() => "~".into(),
        Ok(rel) => format!(
            "~/{}",
            super::literal(&super::slashed(&rel.to_string_lossy()))
        ),
        Err(_) => super::literal(&super::slashed(&path.to_string_lossy())),
    }
}

/// What a `dot-` prefix on a name in a package means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DotPrefix {
    /// Nothing: the name is linked as it is (stow without `--dotfiles`).
    Literal,
    /// `.` (stow's `--dotfiles`): `dot-foo` is linked as `.foo`.
    StandsForDot,
}

/// How the packages are translated.
pub(crate) struct Options<'a> {
    /// The stow directory (the current folder).
    pub dir: &'a Path,
    /// The packages named, or every folder of `dir` that stow would not ignore.
    pub packages: &'a [String],
    /// What a `dot-` prefix means (stow's `--dotfiles`).
    pub dot_prefix: DotPrefix,
    /// The home's `.stow-global-ignore`, when there is one.
    pub global_ignore: Option<String>,
    /// Where the packages are linked, as the manifest writes it (`~`, or `.stowrc`'s
    /// `--target`).
    pub target: &'a str,
    /// `.stowrc`'s `--ignore` globs, for every package.
    pub extra_ignore: &'a [String],
}

/// The packages to translate: those named, else every folder here that is not hidden and not
/// on stow's ignore list, sorted.
pub(crate) fn packages(dir: &Path, named: &[String]) -> std::io::Result<Vec<String>> {
    if !named.is_empty() {
        return Ok(named.to_vec());
    }
    let skip = compile(DEFAULT_IGNORE.iter().map(|s| s.to_string()));
    let mut found = Vec::new();
    for name in crate::observe::folders_in(dir)? {
        let name = name.to_string_lossy().into_owned();
        if !name.starts_with('.') && !skip.is_match(&name) {
            found.push(name);
        }
    }
    found.sort();
    Ok(found)
}

/// The manifest for `opts`. Errors name a package that is not a folder here.
pub(crate) fn generate(opts: &Options) -> Result<Generated, String> {
    let mut g = Generated::default();
    g.header
        .push("Translated from GNU Stow packages by `linkfile init --from-stow`.".into());
    g.header.push(
        "Each package is an `each` entry at ~: one link per file, in real folders (stow --no-folding)."
            .into(),
    );
    if opts.dot_prefix == DotPrefix::StandsForDot {
        g.header.push(
            "stow --dotfiles: `each` links files under their own names, so the `dot-` paths are"
                .into(),
        );
        g.header
            .push("explicit entries (ignored by their package's `each` entry).".into());
    }
    for pkg in opts.packages {
        let root = opts.dir.join(pkg);
        if !crate::observe::is_folder_followed(&root) {
            return Err(format!(
                "the stow package {pkg} is not a folder of {}",
                opts.dir.display()
            ));
        }
        let local = crate::observe::read_text(&root.join(LOCAL_IGNORE)).ok();
        let mut ignore = match local.as_deref().or(opts.global_ignore.as_deref()) {
            Some(text) => {
                let file = if local.is_some() {
                    format!("{pkg}/{LOCAL_IGNORE}")
                } else {
                    "~/.stow-global-ignore".into()
                };
                let (globs, notes) = translate_ignore_file(text, &file);
                g.notes.extend(notes);
                globs
            }
            None => DEFAULT_IGNORE.iter().map(|s| s.to_string()).collect(),
        };
        if crate::observe::exists_followed(&root.join(LOCAL_IGNORE)) {
            ignore.push(LOCAL_IGNORE.into());
        }
        ignore.extend(opts.extra_ignore.iter().cloned());
        package(
            &mut g,
            &root,
            &literal(pkg),
            opts.target,
            ignore,
            opts.dot_prefix,
        );
    }
    Ok(g)
}

fn compile(globs: impl Iterator<Item = String>) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for glob in globs {
        if let Ok(g) = Glob::new(&glob) {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// The entries for the folder `root` (`to`, relative to the stow directory) linked at `at`
/// (both as the manifest writes them): an `each` entry, and where `dot_prefix` stands for `.`,
/// the `dot-` paths below it as their own entries.
fn package(
    g: &mut Generated,
    root: &Path,
    to: &str,
    at: &str,
    ignore: Vec<String>,
    dot_prefix: DotPrefix,
) {
    let skip = compile(ignore.iter().cloned());
    let mut each_ignore = ignore.clone();
    let mut renamed = Vec::new();
    let mut files = 0;
    let mut walk = crate::observe::tree_walk(root);
    while let Some(Ok(item)) = walk.next() {
        let rel = item.path().strip_prefix(root).unwrap_or(item.path());
        let rel_text = super::slashed(&rel.to_string_lossy());
        let is_dir = crate::observe::walked_folder(&item);
        if item.file_name() == ".git" || skip.is_match(rel) {
            if is_dir {
                walk.skip_current_dir();
            }
            continue;
        }
        let name = item.file_name().to_string_lossy();
        if dot_prefix == DotPrefix::StandsForDot && name.starts_with("dot-") && name.len() > 4 {
            if is_dir {
                walk.skip_current_dir();
                each_ignore.push(format!("{}/", glob_literal(&rel_text)));
            } else {
                each_ignore.push(glob_literal(&rel_text));
            }
            renamed.push((rel_text, is_dir));
        } else if !is_dir {
            files += 1;
        }
    }
    if files > 0 {
        g.long.push(LongEntry {
            at: at.to_string(),
            to: to.to_string(),
            each: true,
            ignore: each_ignore,
            ..LongEntry::default()
        });
    }
    // What a rooted pattern (README*) means at the package's root does not carry into a
    // renamed folder; the patterns that match a segment anywhere do.
    let anywhere: Vec<String> = ignore
        .into_iter()
        .filter(|p| p.starts_with("**/") || p.starts_with('*'))
        .collect();
    for (rel, is_dir) in renamed {
        let link_at = format!("{at}/{}", literal(&undot(&rel)));
        let link_to = format!("{to}/{}", literal(&rel));
        if is_dir {
            let root = root.join(&rel);
            package(g, &root, &link_to, &link_at, anywhere.clone(), dot_prefix);
        } else {
            g.short.push((link_at, link_to));
        }
    }
}

/// A path below a package as stow --dotfiles links it: each `dot-` prefix stands for `.`.
pub(crate) fn undot(rel: &str) -> String {
    rel.split('/')
        .map(|seg| match seg.strip_prefix("dot-") {
            Some(rest) if !rest.is_empty() => format!(".{rest}"),
            _ => seg.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stow_regexps_become_globs() {
        assert_eq!(regex_to_glob(r"\.git").as_deref(), Some("**/.git"));
        assert_eq!(regex_to_glob(r"^/README.*").as_deref(), Some("README*"));
        assert_eq!(regex_to_glob(r".+~").as_deref(), Some("*~"));
        assert_eq!(regex_to_glob(r"\#.*\#").as_deref(), Some("**/#*#"));
        assert_eq!(regex_to_glob(r"^/COPYING").as_deref(), Some("COPYING"));
        assert_eq!(regex_to_glob(r"\.\#.+").as_deref(), Some("**/.#*"));
        assert_eq!(regex_to_glob(r"[a-z]+\.bak"), None);
        assert_eq!(regex_to_glob(r"\d+"), None);
        let (globs, notes) = translate_ignore_file("# c\n\\.DS_Store  # mac\n(a|b)\n", "f");
        assert_eq!(globs, ["**/.DS_Store"]);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("`(a|b)`"), "{notes:?}");
    }

    #[test]
    fn stowrc_options_as_init_reads_them() {
        let (dir, home) = (Path::new("/h/dotfiles"), Path::new("/h"));
        let rc = read_stowrc(
            &[
                (
                    "~/.stowrc",
                    "--target=/elsewhere --ignore=\\.bak\n-v --no-folding",
                ),
                (
                    ".stowrc",
                    "-t ~/.config\n--dotfiles --ignore \\.swp --ignore=[0-9]+ -d x --defer=man --adopt",
                ),
            ],
            dir,
            home,
        );
        assert_eq!(
            rc.target.as_deref(),
            Some("~/.config"),
            "the later file wins"
        );
        assert!(rc.dotfiles);
        assert_eq!(rc.ignore, ["*.bak", "*.swp"]);
        assert_eq!(rc.notes.len(), 4, "{:?}", rc.notes);
        assert!(rc.notes[0].contains("[0-9]+"), "{:?}", rc.notes);
        assert!(rc.notes[1].contains("--dir x"), "{:?}", rc.notes);
        assert!(rc.notes[2].contains("--defer=man"), "{:?}", rc.notes);
        assert!(rc.notes[3].contains("--adopt"), "{:?}", rc.notes);
        for (t, place) in [
            ("~", "~"),
            ("$HOME/", "~"),
            ("${HOME}/x", "~/x"),
            ("$XDG_CONFIG_HOME", "${XDG_CONFIG_HOME}"),
            ("..", "~"),
            ("../a{b}", "~/a{{b}}"),
            ("/etc", "/etc"),
            ("-tglued", "~/dotfiles/glued"),
        ] {
            let text = if t.starts_with("-t") {
                t.to_string()
            } else {
                format!("--target={t}")
            };
            let rc = read_stowrc(&[("f", &text)], dir, home);
            assert_eq!(rc.target.as_deref(), Some(place), "{t}");
        }
    }

    #[test]
    fn dotfiles_names_are_undotted() {
        assert_eq!(undot("dot-config/nvim/dot-x"), ".config/nvim/.x");
        assert_eq!(undot("dot-"), "dot-");
    }

    #[test]
    fn default_globs_match_what_stow_ignores() {
        let set = compile(DEFAULT_IGNORE.iter().map(|s| s.to_string()));
        for ignored in [
            "README.md",
            "LICENSE",
            "COPYING",
            ".config/nvim/.git",
            "a/CVS",
            "x.swp~",
            "a/#auto#",
            ".#lock",
        ] {
            assert!(set.is_match(ignored), "{ignored}");
        }
        for kept in [".bashrc", ".config/README.md", ".gitconfig", "COPYING.txt"] {
            assert!(!set.is_match(kept), "{kept}");
        }
    }
}
