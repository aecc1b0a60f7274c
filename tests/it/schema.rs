//! The committed JSON schemas are generated from the Rust types and must be fresh.
//! `LINKFILE_UPDATE_SCHEMAS=1 cargo test schema` rewrites them.

use std::path::Path;

fn check_fresh(rel: &str, generated: String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    if std::env::var_os("LINKFILE_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    assert!(
        committed == generated,
        "{rel} is stale: run `LINKFILE_UPDATE_SCHEMAS=1 cargo test schema` and commit it"
    );
}

#[test]
fn manifest_schema_is_fresh() {
    check_fresh("schemas/linkfile.schema.json", linkfile::manifest::schema());
}

#[test]
fn plan_schema_is_fresh() {
    check_fresh("schemas/plan.schema.json", linkfile::render::json::schema());
}

#[test]
fn every_manifest_field_has_a_description() {
    let schema: serde_json::Value = serde_json::from_str(&linkfile::manifest::schema()).unwrap();
    let mut missing = Vec::new();
    let mut check = |name: &str, obj: &serde_json::Value| {
        for (field, spec) in obj["properties"].as_object().into_iter().flatten() {
            if spec.get("description").is_none() {
                missing.push(format!("{name}.{field}"));
            }
        }
    };
    check("manifest", &schema);
    for (name, def) in schema["$defs"].as_object().unwrap() {
        check(name, def);
    }
    assert!(
        missing.is_empty(),
        "fields without a description: {missing:?}"
    );
}

/// Validates `instance` against a committed schema (boon is a full JSON Schema validator).
#[cfg(unix)]
pub(crate) fn validate(schema_rel: &str, instance: &serde_json::Value) -> Result<(), String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(schema_rel);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("mem://schema", schema).unwrap();
    let id = compiler
        .compile("mem://schema", &mut schemas)
        .map_err(|e| e.to_string())?;
    schemas.validate(instance, id).map_err(|e| format!("{e:#}"))
}

#[cfg(unix)]
#[test]
fn plan_json_validates_against_its_schema() {
    let w = crate::harness::World::new();
    w.repo_file("a", "a\n")
        .repo_file("b", "b\n")
        .repo_file("d/x", "x\n");
    w.home_file(".b", "other\n");
    w.home_link(".d", Path::new("/nowhere"));
    w.manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n\"~/.b\" = \"b\"\n\"~/.c\" = \"c\"\n\"~/.d\" = \"d\"\n");
    for args in [
        &["plan", "--json"][..],
        &["apply", "--json"],
        &["apply", "--dry-run", "--json"],
    ] {
        let r = w.run(args);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        validate("schemas/plan.schema.json", &v).unwrap();
    }
    // And a report without conflicts, once applied.
    std::fs::remove_file(w.home.join(".b")).unwrap();
    w.repo_file("c", "c\n");
    let r = w.run(&["apply", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["applied"], true);
    validate("schemas/plan.schema.json", &v).unwrap();
    // The schema is not a rubber stamp.
    assert!(
        validate(
            "schemas/plan.schema.json",
            &serde_json::json!({"version": 1})
        )
        .is_err()
    );
}

#[test]
fn error_schema_is_fresh() {
    check_fresh(
        "schemas/error.schema.json",
        linkfile::render::outputs::error_schema(),
    );
}

#[test]
fn doctor_schema_is_fresh() {
    check_fresh(
        "schemas/doctor.schema.json",
        linkfile::render::outputs::doctor_schema(),
    );
}

#[test]
fn recover_schema_is_fresh() {
    check_fresh(
        "schemas/recover.schema.json",
        linkfile::render::outputs::recover_schema(),
    );
}

#[test]
fn log_schema_is_fresh() {
    check_fresh(
        "schemas/log.schema.json",
        linkfile::render::outputs::log_schema(),
    );
}
