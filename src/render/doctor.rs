//! `linkfile doctor`'s table and verdict, from what `doctor::probe` found.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::color;
use crate::doctor::{FolderProbe, Report};
use crate::platform;
use crate::platform::explain::Os;
use crate::render::human::View;

/// The table's columns.
const HEADER: [&str; 6] = [
    "folder",
    "links",
    "symlink",
    "hard link",
    "junction",
    "apply uses",
];

/// The table, the problems under it and the verdict, as printed on `os`.
pub fn render(report: &Report, view: &View, os: Os) -> String {
    let mut out = table(report, view, os);
    if os == Os::Windows && !report.folders.is_empty() {
        let _ = writeln!(out, "{}", symlink_conclusion(report));
    }
    problems(&mut out, report, view);
    verdict(&mut out, report, view);
    out
}

/// One row per folder under the header, each column as wide as its widest cell.
fn table(report: &Report, view: &View, os: Os) -> String {
    let junctions = if os == Os::Windows { "-" } else { "n/a" };
    let rows: Vec<[String; 6]> = report
        .folders
        .iter()
        .map(|f| {
            [
                view.at_path(&f.folder),
                f.links.to_string(),
                cell(&Some(f.symlink.clone()), "-"),
                cell(&f.hardlink, "-"),
                cell(&f.junction, junctions),
                uses(f),
            ]
        })
        .collect();
    let header = HEADER.map(str::to_string);
    let all = || std::iter::once(&header).chain(&rows);
    let widths: Vec<usize> = (0..HEADER.len())
        .map(|i| all().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in all() {
        out.push_str("  ");
        for (i, text) in row.iter().enumerate() {
            let padded = match i {
                1 => format!("{text:>w$}", w = widths[i]),
                5 => text.clone(),
                _ => format!("{text:<w$}", w = widths[i]),
            };
            // Painted after padding: escapes take no room on screen.
            let shown = if text == "NO" {
                view.palette.paint(color::PROBLEM, &padded)
            } else {
                padded
            };
            out.push_str(&shown);
            out.push_str(if i + 1 < row.len() { "  " } else { "\n" });
        }
    }
    out
}

/// A probe's cell: `yes`, `NO`, or `absent` when it was not tried.
fn cell(r: &Option<Result<(), String>>, absent: &str) -> String {
    match r {
        None => absent.to_string(),
        Some(Ok(())) => "yes".into(),
        Some(Err(_)) => "NO".into(),
    }
}

/// Whether symlinks can be made and, if not, why, in one line (the first refusal decides).
fn symlink_conclusion(report: &Report) -> String {
    let probe = match report.folders.iter().find_map(|f| f.symlink_refused) {
        Some(code) => Err(code),
        None => Ok(()),
    };
    platform::explain::symlink_conclusion(probe, report.elevation, report.developer_mode)
}

/// Why each probe that failed did, folder by folder.
fn problems(out: &mut String, report: &Report, view: &View) {
    for f in &report.folders {
        let folder = view.at_path(&f.folder);
        if let Err(e) = &f.symlink {
            let _ = writeln!(out, "{folder}: symlink: {e}");
        }
        if let Some(Err(e)) = &f.hardlink {
            let _ = writeln!(out, "{folder}: hard link: {e}");
        }
        if let Some(Err(e)) = &f.junction {
            let _ = writeln!(out, "{folder}: junction: {e}");
        }
        for why in &f.refused {
            let _ = writeln!(out, "{folder}: cannot link {why}");
        }
    }
}

/// The last line: apply can make every link (and with what), or in how many folders it cannot.
fn verdict(out: &mut String, report: &Report, view: &View) {
    let failing = report.folders.iter().filter(|f| !f.ok()).count();
    let line = if failing == 0 {
        let mut total: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for f in &report.folders {
            for (name, (n, fell_back)) in &f.uses {
                let t = total.entry(name).or_default();
                t.0 += n;
                t.1 += fell_back;
            }
        }
        let line = format!(
            "apply can make each of the {} link{} as the manifest asks ({}).",
            report.links,
            if report.links == 1 { "" } else { "s" },
            summary(&total)
        );
        view.palette.paint(color::FINE, &line)
    } else {
        let line = format!(
            "apply would fail: the links asked for cannot be made in {failing} folder{} (see above).",
            if failing == 1 { "" } else { "s" }
        );
        view.palette.paint(color::PROBLEM, &line)
    };
    let _ = writeln!(out, "{line}");
}

/// What apply would make, e.g. `3 symlinks, 2 hard links (fallback)`.
fn summary(uses: &BTreeMap<&str, (usize, usize)>) -> String {
    let parts: Vec<String> = uses
        .iter()
        .map(|(name, (n, fell_back))| {
            let plural = if *n == 1 { "" } else { "s" };
            match fell_back {
                0 => format!("{n} {name}{plural}"),
                f if f == n => format!("{n} {name}{plural} (fallback)"),
                f => format!("{n} {name}{plural} ({f} by fallback)"),
            }
        })
        .collect();
    if parts.is_empty() {
        "no links".into()
    } else {
        parts.join(", ")
    }
}

/// The "apply uses" cell of a folder.
fn uses(f: &FolderProbe) -> String {
    let mut parts: Vec<String> = f
        .uses
        .iter()
        .map(|(name, (_, fell_back))| {
            if *fell_back > 0 {
                format!("{name} (fallback)")
            } else {
                name.to_string()
            }
        })
        .collect();
    match f.refused.len() {
        0 => {}
        1 => parts.push("NOTHING for 1 link".into()),
        n => parts.push(format!("NOTHING for {n} links")),
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::color::Palette;

    /// Two folders: in `~` a symlink was refused with `code`, in `~/.config` all went well.
    fn report(code: i32) -> Report {
        let folder = |name: &str, symlink: Result<(), String>| FolderProbe {
            folder: PathBuf::from("/h").join(name),
            links: 1,
            wants_symlink: true,
            wants_hardlink: false,
            wants_junction: false,
            uses: BTreeMap::from([("symlink", (1, 0))]),
            refused: Vec::new(),
            symlink_refused: symlink.as_ref().err().map(|_| Some(code)),
            symlink,
            hardlink: Some(Ok(())),
            junction: None,
        };
        Report {
            folders: vec![folder("", Err("refused".into())), folder(".config", Ok(()))],
            developer_mode: Some(false),
            elevated: Some(false),
            links: 2,
            elevation: Some(platform::explain::Elevation::Default),
        }
    }

    fn view(palette: Palette) -> View<'static> {
        View {
            home: Path::new("/h"),
            repo: Path::new("/r"),
            palette,
            verbose: false,
            diff_lines: None,
        }
    }

    /// ERROR_PRIVILEGE_NOT_HELD.
    const PRIVILEGE_NOT_HELD: i32 = 1314;

    #[test]
    fn the_windows_table_has_junctions_and_a_conclusion() {
        let out = render(
            &report(PRIVILEGE_NOT_HELD),
            &view(Palette::PLAIN),
            Os::Windows,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[..3],
            [
                "  folder     links  symlink  hard link  junction  apply uses",
                "  ~              1  NO       yes        -         symlink",
                "  ~/.config      1  yes      yes        -         symlink",
            ],
            "{out}"
        );
        assert!(lines[3].starts_with("symlinks cannot be made: "), "{out}");
        assert_eq!(lines[4], "~: symlink: refused");
        assert_eq!(
            lines[5],
            "apply would fail: the links asked for cannot be made in 1 folder (see above)."
        );
    }

    #[test]
    fn the_unix_table_has_no_junctions_and_no_conclusion() {
        let out = render(&report(1), &view(Palette::PLAIN), Os::Unix);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[1],
            "  ~              1  NO       yes        n/a       symlink"
        );
        assert!(!out.contains("symlinks can"), "{out}");
        assert_eq!(lines[3], "~: symlink: refused");
    }

    #[test]
    fn colour_marks_what_fails_and_keeps_the_columns() {
        let out = render(&report(1), &view(Palette::COLOURED), Os::Unix);
        let no = Palette::COLOURED.paint(color::PROBLEM, "NO     ");
        let row = format!("  ~              1  {no}  yes        n/a       symlink");
        assert_eq!(out.lines().nth(1), Some(row.as_str()), "{out:?}");
        assert!(out.contains(&Palette::COLOURED.paint(
            color::PROBLEM,
            "apply would fail: the links asked for cannot be made in 1 folder (see above)."
        )));
    }
}
