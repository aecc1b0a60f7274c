//! Every repo under `examples/` validates against the manifest schema, plans and applies into a
//! temp home, and ends up with every link on disk pointing at its original.

use std::fs;
use std::path::{Path, PathBuf};

use crate::harness::World;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("linkfile.toml").is_file())
        .collect();
    v.sort();
    assert!(!v.is_empty());
    v
}

#[cfg(unix)]
#[test]
fn example_manifests_validate_against_the_schema() {
    for ex in examples() {
        let text = fs::read_to_string(ex.join("linkfile.toml")).unwrap();
        let value: toml::Value = toml::from_str(&text).unwrap();
        let json = serde_json::to_value(value).unwrap();
        crate::schema::validate("schemas/linkfile.schema.json", &json)
            .unwrap_or_else(|e| panic!("{}: {e}", ex.display()));
    }
    // The schema rejects what the parser rejects.
    let bad = serde_json::json!({"version": 1, "links": {}, "lnks": {}});
    assert!(crate::schema::validate("schemas/linkfile.schema.json", &bad).is_err());
}

#[test]
fn examples_plan_and_apply_into_a_temp_home() {
    crate::require_symlinks!();
    for ex in examples() {
        let w = World::new();
        let manifest = ex.join("linkfile.toml");
        let m = manifest.to_string_lossy().into_owned();
        let plan = w.run(&["-m", &m, "plan", "--json"]);
        assert_eq!(plan.code, 0, "{}: {plan:?}", ex.display());
        let v: serde_json::Value = serde_json::from_str(&plan.raw_stdout).unwrap();
        let entries = v["entries"].as_array().unwrap().clone();
        assert!(!entries.is_empty(), "{}: no links", ex.display());
        assert!(
            entries.iter().all(|e| e["action"] == "create"),
            "{}",
            plan.stdout
        );

        let r = w.run(&["-m", &m, "apply"]);
        assert_eq!(r.code, 0, "{}: {r:?}", ex.display());
        for e in &entries {
            let at = Path::new(e["at"].as_str().unwrap());
            let text = fs::read_link(at).unwrap();
            assert_eq!(text, Path::new(e["link_text"].as_str().unwrap()));
            // The link resolves to the original.
            let resolved = at.parent().unwrap().join(&text);
            assert_eq!(
                fs::canonicalize(resolved).unwrap(),
                fs::canonicalize(e["to"].as_str().unwrap()).unwrap()
            );
        }
        assert_eq!(w.run(&["-m", &m, "plan", "--exit-code"]).code, 0);
    }
}

#[test]
fn the_multi_machine_example_links_what_this_machine_needs() {
    use crate::trees::{linked, tree};
    let mut w = World::new();
    // A copy, beside the throwaway home (Wine sees the source tree under another drive).
    let ex = w.root.join("multi-machine");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/multi-machine"),
        &ex,
    );
    let m = ex.join("linkfile.toml").to_string_lossy().into_owned();
    let r = w.run(&["-m", &m, "-v", "apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    // The harness's machine is called linkfile-test: not a work machine.
    assert!(
        r.stdout.contains(
            ". ~/.gitconfig-work -> git/work  (skipped: host is linkfile-test, not work-laptop or work-desktop)"
        ),
        "{r:?}"
    );
    let (shell, nvim) = match std::env::consts::OS {
        "windows" => (
            "Documents/PowerShell/Microsoft.PowerShell_profile.ps1",
            "AppData/Local/nvim",
        ),
        "macos" => (".zshrc", ".config/nvim"),
        _ => (".bashrc", ".config/nvim"),
    };
    let shell_to = match std::env::consts::OS {
        "windows" => "shell/profile.ps1",
        "macos" => "shell/zshrc",
        _ => "shell/bashrc",
    };
    let mut links = vec![
        (".gitconfig".to_string(), "git/config".to_string()),
        (".gitignore_global".into(), "git/ignore".into()),
        (shell.into(), shell_to.into()),
    ];
    // Every nvim file but the compiled spell file, each in a real folder.
    for f in [
        "ftplugin/rust.lua",
        "init.lua",
        "lua/options.lua",
        "lua/plugins.lua",
        "spell/en.utf-8.add",
    ] {
        links.push((format!("{nvim}/{f}"), format!("nvim/{f}")));
    }
    let mut expected = std::collections::BTreeSet::new();
    for (at, to) in &links {
        assert!(linked(&w.home.join(at), &ex.join(to)), "{at} -> {to}");
        let mut prefix = String::new();
        for part in at.split('/') {
            prefix.push_str(part);
            expected.insert(prefix.clone());
            prefix.push('/');
        }
    }
    let folders: std::collections::BTreeSet<String> = expected
        .iter()
        .filter(|p| links.iter().all(|(at, _)| at != *p))
        .map(|p| format!("{p}/"))
        .collect();
    let files: std::collections::BTreeSet<String> =
        links.iter().map(|(at, _)| at.clone()).collect();
    assert_eq!(
        tree(&w.home),
        files.union(&folders).cloned().collect(),
        "{r:?}"
    );
    assert_eq!(w.run(&["-m", &m, "plan", "--exit-code"]).code, 0);
    // A desktop session: the terminal's config joins, as one link to its folder.
    w.set_env("DISPLAY", ":0");
    let r = w.run(&["-m", &m, "plan"]);
    if cfg!(windows) {
        assert!(r.stdout.starts_with("No changes"), "{r:?}");
    } else {
        assert!(r.stdout.contains("+ ~/.config/kitty -> kitty"), "{r:?}");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
