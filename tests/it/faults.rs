//! Real filesystems saying no: a full filesystem (a tmpfs with few inodes) in the middle of an
//! apply, and a read-only one, which is found before the first write, mounted in a private
//! mount namespace (`unshare -m`, as root). Links outside the mount come first, so a failure
//! comes mid-apply; the whole home must then be exactly as before, and the error must name the
//! path, the OS error and what to do.
//! Skipped, saying so, where the test cannot mount (not root, no `unshare`).

use std::fs;
use std::process::Stdio;

use crate::harness::{World, spawn};

/// `sh -c script` in a private mount namespace, in the world's repo, with $HOME, $OUT (where the
/// script writes what it found), $LINKFILE (the binary) and the world's state folder set.
fn in_namespace(w: &World, script: &str, out: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["-m", "sh", "-c", script])
        .current_dir(&w.repo)
        .env("HOME", &w.home)
        .env("OUT", out)
        .env("LINKFILE", env!("CARGO_BIN_EXE_linkfile"))
        .env("LINKFILE_STATE_DIR", &w.state)
        .stdout(Stdio::null());
    cmd
}

/// Runs `setup` (shell, inside the namespace, with $HOME set), then `linkfile apply` on the
/// world, snapshotting the home (type, path, link text, size) before and after, inside.
/// Returns the exit code, what apply printed (stdout, then stderr) and the two snapshots.
fn apply_in_namespace(w: &World, setup: &str) -> Option<(String, String, String, String)> {
    let out = w.root.join("out");
    fs::create_dir_all(&out).unwrap();
    let script = format!(
        r#"set -e
{setup}
snap() {{ find "$HOME" -printf '%y %P %l %s\n' | sort; }}
snap > "$OUT/before"
set +e
"$LINKFILE" --home "$HOME" apply > "$OUT/stdout" 2> "$OUT/stderr"
echo $? > "$OUT/rc"
snap > "$OUT/after"
"#
    );
    let mut cmd = in_namespace(w, &script, &out);
    cmd.stderr(Stdio::piped());
    let child = spawn(&mut cmd);
    let result = child.wait_with_output().unwrap();
    if !result.status.success() || !out.join("rc").exists() {
        crate::harness::skip(
            crate::harness::Skip::Setup,
            &format!(
                "cannot mount in a private namespace here ({})",
                String::from_utf8_lossy(&result.stderr).trim()
            ),
        );
        return None;
    }
    let read = |n: &str| fs::read_to_string(out.join(n)).unwrap();
    // The plan (stdout) then the error (stderr).
    let said = read("stdout") + &read("stderr");
    Some((read("rc"), said, read("before"), read("after")))
}

fn world_with_links_into(sub: &str, inside: usize) -> World {
    let w = World::new();
    let mut m = String::from("version = 1\n[links]\n");
    for i in 0..5 {
        w.repo_file(&format!("out{i}"), "x\n");
        m.push_str(&format!("\"~/out{i}\" = \"out{i}\"\n"));
    }
    for i in 0..inside {
        w.repo_file(&format!("in{i}"), "x\n");
        m.push_str(&format!("\"~/{sub}/d{}/f{i}\" = \"in{i}\"\n", i / 10));
    }
    fs::create_dir(w.home.join(sub)).unwrap();
    w.manifest(&m);
    w
}

#[test]
fn a_full_filesystem_mid_apply_leaves_the_home_as_it_was() {
    crate::require_symlinks!();
    let w = world_with_links_into("full", 200);
    let setup = r#"mount -t tmpfs -o size=64k,nr_inodes=40 tmpfs "$HOME/full"
echo mine > "$HOME/full/keep""#;
    let Some((rc, stderr, before, after)) = apply_in_namespace(&w, setup) else {
        return;
    };
    assert_eq!(rc.trim(), "1", "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains("; nothing was changed"), "{stderr}");
    assert!(stderr.contains("hint: the disk is full"), "{stderr}");
    assert_eq!(before, after, "{stderr}");
    assert!(before.contains("f full/keep  5"), "{before}");
}

#[test]
fn a_read_only_filesystem_is_refused_before_the_first_write() {
    crate::require_symlinks!();
    let w = world_with_links_into("ro", 3);
    let setup = r#"mount -t tmpfs tmpfs "$HOME/ro"
echo mine > "$HOME/ro/keep"
mount -o remount,ro "$HOME/ro""#;
    let Some((rc, stderr, before, after)) = apply_in_namespace(&w, setup) else {
        return;
    };
    // Found while planning: the five links outside the read-only mount are not made either.
    assert_eq!(rc.trim(), "1", "{stderr}");
    for i in 0..3 {
        assert!(
            stderr.contains(&format!("! ~/ro/d0/f{i} -> in{i}  (parent-not-writable)")),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains("ro does not accept new entries (Read-only file system (os error 30))"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 conflicts; nothing was changed"),
        "{stderr}"
    );
    assert!(!stderr.contains("rolled back"), "{stderr}");
    assert_eq!(before, after, "{stderr}");
}

#[test]
fn doctor_says_why_links_cannot_be_made_on_a_read_only_filesystem() {
    crate::require_symlinks!();
    let w = world_with_links_into("ro", 3);
    let out = w.root.join("out");
    fs::create_dir_all(&out).unwrap();
    let script = r#"set -e
mount -t tmpfs tmpfs "$HOME/ro"
mkdir "$HOME/ro/d0"
mount -o remount,ro "$HOME/ro"
set +e
"$LINKFILE" --home "$HOME" doctor > "$OUT/stdout" 2>&1
echo $? > "$OUT/rc"
"#;
    let mut cmd = in_namespace(&w, script, &out);
    cmd.stderr(Stdio::null());
    let status = spawn(&mut cmd).wait().unwrap();
    if !status.success() || !out.join("rc").exists() {
        crate::skip!(Setup, "cannot mount in a private namespace here");
    }
    let rc = fs::read_to_string(out.join("rc")).unwrap();
    let stdout = fs::read_to_string(out.join("stdout")).unwrap();
    assert_eq!(rc.trim(), "1", "{stdout}");
    assert!(
        stdout.contains("~/ro/d0: symlink: Read-only file system"),
        "{stdout}"
    );
    assert!(
        stdout.contains("hint: the filesystem is mounted read-only"),
        "{stdout}"
    );
    assert!(
        stdout.contains("apply would fail: the links asked for cannot be made in 1 folder"),
        "{stdout}"
    );
}

#[test]
fn a_mount_point_in_the_way_is_never_touched() {
    crate::require_symlinks!();
    let w = World::new();
    w.repo_file("nvim/init.lua", "-- init\n");
    // Even under `backup`, which would move a plain folder into the backup store.
    w.manifest(
        "version = 1\n[defaults]\non_conflict = \"backup\"\n[links]\n\"~/.config/nvim\" = \"nvim\"\n",
    );
    fs::create_dir_all(w.home.join(".config/nvim")).unwrap();
    let setup = r#"mount -t tmpfs tmpfs "$HOME/.config/nvim"
echo mine > "$HOME/.config/nvim/init.lua""#;
    let Some((rc, said, before, after)) = apply_in_namespace(&w, setup) else {
        return;
    };
    assert_eq!(rc.trim(), "1", "{said}");
    assert!(
        said.contains("! ~/.config/nvim -> nvim  (mount-point)"),
        "{said}"
    );
    assert!(
        said.contains("linkfile never touches a mount point"),
        "{said}"
    );
    assert!(said.contains("1 conflict; nothing was changed"), "{said}");
    assert_eq!(before, after, "{said}");
    assert!(before.contains("f .config/nvim/init.lua  5"), "{before}");
}

#[test]
fn a_hard_link_into_a_mounted_folder_is_refused_before_the_first_write() {
    let w = World::new();
    w.repo_file("x", "x\n").repo_file("y", "y\n");
    // ~/a is on the repo's filesystem, its neighbour ~/m is another one.
    w.manifest(
        "version = 1\n[defaults]\nlink_type = \"hardlink\"\n[links]\n\"~/a/x\" = \"x\"\n\"~/m/y\" = \"y\"\n",
    );
    let setup = r#"mkdir -p "$HOME/a" "$HOME/m"
mount -t tmpfs tmpfs "$HOME/m""#;
    let Some((rc, said, before, after)) = apply_in_namespace(&w, setup) else {
        return;
    };
    assert_eq!(rc.trim(), "1", "{said}");
    assert!(
        said.contains("! ~/m/y -> y (hard link)  (cross-volume)"),
        "{said}"
    );
    assert!(said.contains("+ ~/a/x -> x (hard link)"), "{said}");
    assert!(said.contains("1 conflict; nothing was changed"), "{said}");
    assert!(!said.contains("rolled back"), "{said}");
    assert_eq!(before, after, "{said}");
}
