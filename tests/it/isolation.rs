//! `--home` isolates (issue 9, point 3): under a given home, `${HOME}` is that home, XDG
//! base-directory variables outside it count as unset, and a link outside it is refused; without
//! one, a link outside the home is marked in the plan.

use std::path::Path;

use crate::harness::{World, run_without_home};

fn world() -> World {
    let mut w = World::new();
    w.repo_file("vim/vimrc", "set number\n");
    let real = w.root.join("real-home");
    std::fs::create_dir(&real).unwrap();
    let real = real.to_string_lossy().into_owned();
    w.set_env(linkfile::platform::HOME_VAR, &real);
    w.set_env("HOME", &real);
    for var in ["CONFIG", "DATA", "STATE", "CACHE"] {
        let value = format!("{real}/.xdg-{}", var.to_lowercase());
        w.set_env(&format!("XDG_{var}_HOME"), &value);
    }
    w
}

/// The `at` of each entry of `plan --json`.
fn planned_ats(w: &World) -> Vec<String> {
    let r = w.run(&["plan", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap().replace('\\', "/"))
        .collect()
}

#[test]
fn home_variables_are_the_given_home() {
    let w = world();
    let var = linkfile::platform::HOME_VAR;
    w.manifest(&format!(
        "version = 1\n[links]\n\"${{HOME}}/.a\" = \"vim/vimrc\"\n\"${{{var}}}/.b\" = \"vim/vimrc\"\n"
    ));
    assert_eq!(planned_ats(&w), ["[HOME]/.a", "[HOME]/.b"]);
}

#[test]
fn xdg_variables_outside_the_given_home_count_as_unset() {
    let mut w = world();
    w.manifest(
        "version = 1\n[vars]\ncfg = \"${XDG_CONFIG_HOME:-~/.config}\"\ndata = \"${XDG_DATA_HOME:-~/.local/share}\"\nstate = \"${XDG_STATE_HOME:-~/.local/state}\"\ncache = \"${XDG_CACHE_HOME:-~/.cache}\"\n[links]\n\"{cfg}/a\" = \"vim/vimrc\"\n\"{data}/b\" = \"vim/vimrc\"\n\"{state}/c\" = \"vim/vimrc\"\n\"{cache}/d\" = \"vim/vimrc\"\n",
    );
    assert_eq!(
        planned_ats(&w),
        [
            "[HOME]/.config/a",
            "[HOME]/.local/share/b",
            "[HOME]/.local/state/c",
            "[HOME]/.cache/d"
        ]
    );
    // Inside the given home, they count.
    let inside = w.home.join("xdg").to_string_lossy().into_owned();
    w.set_env("XDG_CONFIG_HOME", &inside);
    assert_eq!(planned_ats(&w)[0], "[HOME]/xdg/a");
    // An unset XDG variable without a default is still an error naming it.
    w.set_env("XDG_CONFIG_HOME", "/elsewhere");
    w.manifest("version = 1\n[links]\n\"${XDG_CONFIG_HOME}/a\" = \"vim/vimrc\"\n");
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("environment variable `XDG_CONFIG_HOME` is not set"),
        "{}",
        r.stderr
    );
}

/// A world whose home comes from the environment (the platform's home variable), not `--home`.
fn world_with_home_from_env() -> World {
    let w = World::new();
    w.repo_file("vim/vimrc", "set number\n");
    w.manifest("version = 1\n[links]\n\"~/.vimrc\" = \"vim/vimrc\"\n\"~/../elsewhere/x\" = \"vim/vimrc\"\n");
    w
}

#[test]
fn a_link_outside_the_home_is_marked() {
    let w = world_with_home_from_env();
    let r = run_without_home(&w, &["plan"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "  + ~/.vimrc -> vim/vimrc\n  + [TMP]/elsewhere/x -> vim/vimrc  (outside ~)\nPlan: 2 to create, 0 to fix, 0 to remove, 0 conflicts.\n"
    );
    let r = run_without_home(&w, &["plan", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let marks: Vec<&serde_json::Value> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["outside_home"])
        .collect();
    assert_eq!(
        marks,
        [&serde_json::Value::Null, &serde_json::Value::Bool(true)]
    );
}

#[test]
fn a_link_outside_a_given_home_is_a_manifest_error() {
    let mut w = world_with_home_from_env();
    let home = w.home.to_string_lossy().into_owned();
    w.set_env("LINKFILE_HOME", &home);
    let r = run_without_home(&w, &["plan"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("[TMP]/elsewhere/x is outside the home [HOME]")
            && r.stderr.contains("linkfile.toml:4:1"),
        "{}",
        r.stderr
    );
    assert!(!Path::new(&w.root.join("elsewhere")).exists());
}
