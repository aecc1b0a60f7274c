//! Only `observe` reads the filesystem: outside the modules whose work is reading it (observe,
//! the platform's calls, the state folder's handles, the writer, the operation log, containment's
//! real paths and the manifest's reader), no file of `src/` calls a std filesystem read or the
//! platform's link readers (outside comments and unit tests). What still does is on [`ALLOWED`],
//! with why; the list only shrinks.

use std::path::{Path, PathBuf};

/// The modules (files, or folders ending in `/`, below `src/`) whose work is reading the
/// filesystem.
const READERS: &[&str] = &[
    "observe.rs",
    "observe/",
    "platform.rs",
    "platform/",
    "statedir.rs",
    "statedir/",
    "steps.rs",
    "steps/",
    "oplog.rs",
    "oplog/",
    "containment.rs",
    "commands/manifest_file.rs",
];

/// Files (or folders ending in `/`) below `src/` that still read the filesystem themselves,
/// each with why. Remove a line when its reads go; the test fails when one no longer reads.
const ALLOWED: &[(&str, &str)] = &[(
    "commands/init.rs",
    "writes the new manifest with OpenOptions::create_new (never over an existing one), which this textual scan cannot tell from a read",
)];

/// The std filesystem reads looked for, and the platform's link readers.
const READS: &[&str] = &[
    "fs::metadata",
    "fs::symlink_metadata",
    "fs::read_dir",
    "fs::read_link",
    "fs::canonicalize",
    "fs::read_to_string",
    "fs::read",
    ".metadata()",
    ".symlink_metadata()",
    ".read_dir()",
    ".read_link()",
    ".canonicalize()",
    ".try_exists()",
    ".exists()",
    ".is_dir()",
    ".is_file()",
    ".is_symlink()",
    "File::open",
    "OpenOptions",
    "walkdir",
    "platform::read_link",
    "platform::link_flavour",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `file`'s path below `src`, with `/` between its parts on every platform.
fn relative(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

fn listed(rel: &str, entries: &[&str]) -> bool {
    entries
        .iter()
        .any(|e| rel == *e || (e.ends_with('/') && rel.starts_with(e)))
}

/// The lines of code of a file, numbered from 1, without comments and unit-test modules (a
/// `#[cfg(..test..)]` on a top-level `mod`, through its closing `}`).
fn code(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let test_mod = line.starts_with("#[cfg(")
            && line.contains("test")
            && lines.peek().is_some_and(|(_, l)| l.starts_with("mod "));
        if test_mod {
            let (_, head) = lines.next().unwrap();
            if !head.ends_with(';') {
                lines.by_ref().find(|(_, l)| *l == "}");
            }
            continue;
        }
        let line = match line.find("// ") {
            Some(c) if !line[..c].contains('"') => &line[..c],
            _ => line,
        };
        if !line.trim_start().starts_with("//") {
            out.push((i + 1, line));
        }
    }
    out
}

/// The reads `line` makes, as the [`READS`] it matches.
fn reads(line: &str) -> Vec<&'static str> {
    READS
        .iter()
        .filter(|r| {
            line.match_indices(**r).any(|(i, _)| {
                let next = line[i + r.len()..].chars().next();
                // `fs::read` is itself, not the start of `fs::read_dir`.
                !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                    || !r.ends_with(|c: char| c.is_ascii_alphanumeric())
            })
        })
        .copied()
        .collect()
}

/// Each file of `src/` outside [`READERS`] that reads, with its reads as `line: code`.
fn readers_outside() -> Vec<(String, Vec<String>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let rel = relative(&src, &file);
        if listed(&rel, READERS) || rel.ends_with("/tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let found: Vec<String> = code(&text)
            .into_iter()
            .filter(|(_, l)| !reads(l).is_empty())
            .map(|(n, l)| format!("{n}: {}", l.trim()))
            .collect();
        if !found.is_empty() {
            out.push((rel, found));
        }
    }
    out
}

#[test]
fn only_the_reading_modules_read_the_filesystem() {
    let outside = readers_outside();
    let unlisted: Vec<String> = outside
        .iter()
        .filter(|(rel, _)| !listed(rel, &ALLOWED.iter().map(|a| a.0).collect::<Vec<_>>()))
        .map(|(rel, found)| format!("src/{rel}:\n  {}", found.join("\n  ")))
        .collect();
    assert!(
        unlisted.is_empty(),
        "the filesystem is read outside observe (ask it through a named function of \
         src/observe.rs, or containment's real paths):\n{}",
        unlisted.join("\n")
    );
    for (entry, why) in ALLOWED {
        assert!(
            outside.iter().any(|(rel, _)| listed(rel, &[entry])),
            "src/{entry} no longer reads the filesystem: remove its line from ALLOWED in {} ({why})",
            file!()
        );
    }
}

#[test]
fn the_read_finder_sees_reads_in_code_only() {
    let text = "fn a() {\n    let x = p.exists(); // p.is_dir()\n    // fs::metadata(p)\n    \
                fs::read_dir(p);\n    fs::read(p);\n    t.is_dir_like();\n    fs::reader();\n}\n\
                #[cfg(all(test, unix))]\nmod tests {\n    fn b() { q.is_file(); }\n}\n\
                fn c() { File::open(p); }\n";
    let found: Vec<(usize, Vec<&str>)> = code(text)
        .into_iter()
        .map(|(n, l)| (n, reads(l)))
        .filter(|(_, r)| !r.is_empty())
        .collect();
    assert_eq!(
        found,
        [
            (2, vec![".exists()"]),
            (4, vec!["fs::read_dir"]),
            (5, vec!["fs::read"]),
            (13, vec!["File::open"]),
        ]
    );
}
