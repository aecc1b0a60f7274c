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
