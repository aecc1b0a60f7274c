//! Bounded input (issue 10 point 6): deep expansion is a manifest error, not a stack overflow;
//! a manifest that is not a regular file, too big, not UTF-8 or UTF-16 is refused saying why; a
//! path too long for the system names its place in the manifest and is never echoed whole.

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{self, World};

/// Runs the real binary (a crash must not take the test process with it), killed after `limit`.
fn run_binary(w: &World, args: &[&str], limit: Duration) -> Output {
    let mut cmd = w.command(args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = harness::spawn(&mut cmd);
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "linkfile {args:?} still running after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
#[ignore = "slow: .ci/run runs it"]
fn six_thousand_chained_vars_are_a_manifest_error_naming_the_chain() {
    let w = World::new();
    w.repo_file("x", "x\n");
    let mut m = String::from("version = 1\n[vars]\nv0 = \"x\"\n");
    for i in 1..6000 {
        m.push_str(&format!("v{i} = \"{{v{}}}\"\n", i - 1));
    }
    m.push_str("[links]\n\"~/.x\" = \"{v5999}\"\n");
    w.manifest(&m);
    let out = run_binary(&w, &["plan"], Duration::from_secs(60));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("nest more than"), "{err}");
    assert!(err.contains("v5999 -> v5998"), "{err}");
    assert!(err.len() < 4000, "{} bytes of errors", err.len());
    // In-process as well, now that it cannot overflow.
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1, "{r:?}");
}

#[test]
fn eighteen_thousand_nested_defaults_are_a_manifest_error() {
    let w = World::new();
    w.repo_file("x", "x\n");
    let n = 18_000;
    let at = format!("~/{}x{}", "${A:-".repeat(n), "}".repeat(n));
    w.manifest(&format!("version = 1\n[links]\n\"{at}\" = \"x\"\n"));
    let out = run_binary(&w, &["plan"], Duration::from_secs(60));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("nest more than"), "{err}");
    assert!(err.len() < 4000, "{} bytes of errors", err.len());
}

#[cfg(unix)]
#[test]
fn a_manifest_that_is_not_a_regular_file_is_refused() {
    let w = World::new();
    let out = run_binary(&w, &["-m", "/dev/zero", "plan"], Duration::from_secs(20));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("/dev/zero: it is a device, not a regular file"),
        "{err}"
    );

    let fifo = w.root.join("fifo.toml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = run_binary(
        &w,
        &["-m", fifo.to_str().unwrap(), "plan"],
        Duration::from_secs(20),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("fifo.toml: it is a FIFO (named pipe), not a regular file"),
        "{err}"
    );
}

#[test]
fn a_manifest_over_16_mib_is_refused() {
    let w = World::new();
    let big = w.repo.join("linkfile.toml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(16 * 1024 * 1024 + 1).unwrap();
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("larger than 16 MiB"), "{}", r.stderr);
}

#[test]
fn a_manifest_that_is_not_utf8_names_the_byte() {
    let w = World::new();
    let mut bytes = b"version = 1\n[links]\n\"~/.caf".to_vec();
    bytes.push(0xe9);
    bytes.extend_from_slice(b"\" = \"x\"\n");
    std::fs::write(w.repo.join("linkfile.toml"), &bytes).unwrap();
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("byte 28"), "{}", r.stderr);
    assert!(r.stderr.contains("linkfile.toml:3:8"), "{}", r.stderr);
    assert!(r.stderr.contains("save it as UTF-8"), "{}", r.stderr);
}

#[test]
fn a_utf16_manifest_says_to_save_it_as_utf8() {
    let text = "version = 1\n[links]\n\"~/.x\" = \"x\"\n";
    let le: Vec<u8> = std::iter::once(0xfeff_u16)
        .chain(text.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    // Without a byte order mark too: NULs every other byte.
    let bare: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for bytes in [le, bare] {
        let w = World::new();
        std::fs::write(w.repo.join("linkfile.toml"), &bytes).unwrap();
        let r = w.run(&["plan"]);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(r.stderr.contains("UTF-16"), "{}", r.stderr);
        assert!(r.stderr.contains("save it as UTF-8"), "{}", r.stderr);
    }
}

// Unix: Windows says other things of a 10 MB path (a name too long, or not a path at all).
#[cfg(unix)]
#[test]
#[ignore = "slow: .ci/run runs it"]
fn a_name_too_long_points_at_the_manifest_and_is_not_echoed_whole() {
    let w = World::new();
    w.repo_file("x", "x\n");
    let long = "a".repeat(10_000_000);
    w.manifest(&format!(
        "version = 1\n[links]\n\"~/.ok\" = \"x\"\n\"~/{long}\" = \"x\"\n"
    ));
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", &r.stderr[..r.stderr.len().min(2000)]);
    assert!(
        r.stderr.len() < 10_000,
        "{} bytes of errors: {}…",
        r.stderr.len(),
        &r.stderr[..2000]
    );
    assert!(r.stderr.contains("linkfile.toml:4:1"), "{}", r.stderr);
    assert!(r.stderr.contains("too long"), "{}", r.stderr);
    assert!(!r.stderr.contains("permissions"), "{}", r.stderr);
    assert!(r.stderr.contains(" characters in all]"), "{}", r.stderr);
}
