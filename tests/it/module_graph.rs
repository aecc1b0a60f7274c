//! No import cycle among linkfile's modules: the modules of `src/` (a file `src/x.rs` or a
//! folder `src/x/` is the module `x`) and who names whom (`crate::x` anywhere outside comments
//! and unit tests, `use crate::{x, ..}` included) form a graph that must have no cycle once the
//! edges of [`ALLOWED`] are left out. A cycle added back fails here, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges that close a cycle today, each with where it is and why it is still there. Remove a
/// line when its edge goes; the test fails when an edge listed here no longer exists.
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "platform",
        "observe",
        "platform/windows.rs asks observe::same_file whether a hard link is the original",
    ),
    (
        "platform",
        "paths",
        "platform::default_state_root normalises XDG_STATE_HOME with paths' lexical helpers",
    ),
    (
        "records",
        "steps",
        "records checks the writer's Intent and Step, which steps runs and records checks",
    ),
];

type Graph = BTreeMap<String, BTreeSet<String>>;

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

/// The module a file of `src/` belongs to (`None`: the crate root).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

/// The code of a file without comments and unit tests.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifier(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The modules `code` names: `crate::x` and `crate::{x, y::z}`.
fn named(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let (mut depth, mut item_start) = (0, true);
                for (k, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => item_start = true,
                        c if item_start && !c.is_whitespace() => {
                            out.insert(identifier(&group[k..]).to_string());
                            item_start = false;
                        }
                        _ => {}
                    }
                }
            }
            None => {
                out.insert(identifier(rest).to_string());
            }
        }
    }
    out
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&src, f)).collect();
    let mut g = Graph::new();
    for file in &files {
        let Some(from) = module_of(&src, file) else {
            continue;
        };
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let edges = g.entry(from.clone()).or_default();
        let text = std::fs::read_to_string(file).unwrap();
        for to in named(&code(&text)) {
            if to != from && modules.contains(&to) {
                edges.insert(to);
            }
        }
    }
    g
}

/// A cycle of `g`, as the modules on it (the first again at the end), if there is one.
fn cycle(g: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        g: &Graph,
        m: &str,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(m) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|p| p == m).unwrap();
                let mut found = path[start..].to_vec();
                found.push(m.to_string());
                return Some(found);
            }
            None => {}
        }
        marks.insert(m.to_string(), Mark::Open);
        path.push(m.to_string());
        for next in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(g, next, marks, path) {
                return Some(c);
            }
        }
        path.pop();
        marks.insert(m.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    g.keys()
        .find_map(|m| visit(g, m, &mut marks, &mut Vec::new()))
}

#[test]
fn the_modules_import_one_another_without_a_cycle() {
    let mut g = graph();
    for (from, to, why) in ALLOWED {
        let removed = g.get_mut(*from).is_some_and(|e| e.remove(*to));
        assert!(
            removed,
            "{from} no longer names {to}: remove its line from ALLOWED in {} ({why})",
            file!()
        );
    }
    if let Some(c) = cycle(&g) {
        panic!(
            "the modules import one another in a cycle: {}\n(who names whom: grep -rn 'crate::NAME' src/FROM*)",
            c.join(" -> ")
        );
    }
}

#[test]
fn the_graph_reader_sees_names_and_cycles() {
    let text = "use crate::{a, b::{c, d}, e::f as g};\n// crate::h\nlet x = crate::i::j();\n";
    let names: Vec<String> = named(&code(text)).into_iter().collect();
    assert_eq!(names, ["a", "b", "e", "i"]);
    let g: Graph = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
        .iter()
        .fold(Graph::new(), |mut g, (x, y)| {
            g.entry(x.to_string()).or_default().insert(y.to_string());
            g
        });
    assert_eq!(cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    let mut acyclic = g.clone();
    acyclic.get_mut("c").unwrap().remove("a");
    assert_eq!(cycle(&acyclic), None);
}
