//! Colour by the environment's conventions, as the real binary sees them: NO_COLOR, CLICOLOR,
//! CLICOLOR_FORCE, TERM and a terminal (issue 13 §2), `--color` over all of them.

use std::process::Command;

use crate::harness::World;

fn world() -> World {
    let w = World::new();
    w.repo_file("git/config", "[user]\n");
    w.manifest("version = 1\n[links]\n\"~/.gitconfig\" = \"git/config\"\n");
    w
}

/// The real binary, with only the given colour variables (the test runner's own are dropped).
fn linkfile(w: &World, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut c = w.command(args);
    for k in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM", "CI"] {
        c.env_remove(k);
    }
    c.envs(env.iter().copied());
    c
}

/// Whether `plan` colours its output in a pipe.
fn plan_coloured_in_a_pipe(env: &[(&str, &str)], flags: &[&str]) -> bool {
    let w = world();
    let mut args = flags.to_vec();
    args.push("plan");
    let out = linkfile(&w, env, &args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("~/.gitconfig"));
    out.stdout.contains(&0x1b)
}

#[test]
fn a_pipe_gets_no_colour_whatever_term_says() {
    assert!(!plan_coloured_in_a_pipe(&[("TERM", "xterm-256color")], &[]));
    assert!(!plan_coloured_in_a_pipe(&[("TERM", "dumb")], &[]));
    assert!(!plan_coloured_in_a_pipe(
        &[("TERM", "xterm"), ("CI", "true")],
        &[]
    ));
}

#[test]
fn clicolor_force_colours_a_pipe_unless_no_color() {
    assert!(plan_coloured_in_a_pipe(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(plan_coloured_in_a_pipe(
        &[("CLICOLOR_FORCE", "1"), ("TERM", "dumb")],
        &[]
    ));
    assert!(!plan_coloured_in_a_pipe(&[("CLICOLOR_FORCE", "0")], &[]));
    assert!(!plan_coloured_in_a_pipe(
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
        &[]
    ));
}

#[test]
fn the_color_flag_wins_over_the_environment() {
    let always = ["--color", "always"];
    assert!(plan_coloured_in_a_pipe(
        &[("NO_COLOR", "1"), ("TERM", "dumb")],
        &always
    ));
    assert!(plan_coloured_in_a_pipe(&[("CLICOLOR", "0")], &always));
    assert!(!plan_coloured_in_a_pipe(
        &[("CLICOLOR_FORCE", "1")],
        &["--color", "never"]
    ));
}

#[test]
fn errors_in_a_pipe_follow_the_same_rules() {
    let w = world();
    w.manifest("version = 1\n[links]\n\"~/.gitconfig\" = 3\n");
    let plain = linkfile(&w, &[("TERM", "xterm")], &["plan"])
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&plain.stderr).contains("error"));
    assert!(!plain.stderr.contains(&0x1b));
    let forced = linkfile(&w, &[("CLICOLOR_FORCE", "1")], &["plan"])
        .output()
        .unwrap();
    assert!(forced.stderr.contains(&0x1b));
}

/// The real binary with stdout (or stderr) on a terminal: a pseudo-terminal this test holds.
#[cfg(unix)]
mod on_a_terminal {
    use std::fs::File;
    use std::io::Read;
    use std::os::fd::OwnedFd;
    use std::process::Stdio;

    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};

    use super::{World, linkfile, world};

    /// Which stream is the terminal.
    #[derive(Clone, Copy)]
    enum Tty {
        Stdout,
        Stderr,
    }

    /// Runs linkfile with `tty` on a new terminal; returns the exit code and what the terminal
    /// showed.
    fn run(w: &World, env: &[(&str, &str)], args: &[&str], tty: Tty) -> (Option<i32>, String) {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let slave = File::options()
            .read(true)
            .write(true)
            .open(name.to_str().unwrap())
            .unwrap();
        let mut c = linkfile(w, env, args);
        match tty {
            Tty::Stdout => c.stdout(Stdio::from(OwnedFd::from(slave))),
            Tty::Stderr => c.stderr(Stdio::from(OwnedFd::from(slave))),
        };
        let status = c.status().unwrap();
        // The terminal's last writer is gone once the command is: reading ends then.
        drop(c);
        let mut shown = Vec::new();
        let mut master = File::from(master);
        let mut buf = [0u8; 4096];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => shown.extend_from_slice(&buf[..n]),
            }
        }
        (status.code(), String::from_utf8_lossy(&shown).into_owned())
    }

    /// Whether `plan` colours its output on a terminal.
    fn plan_coloured(env: &[(&str, &str)], flags: &[&str]) -> bool {
        let w = world();
        let mut args = flags.to_vec();
        args.push("plan");
        let (code, shown) = run(&w, env, &args, Tty::Stdout);
        assert_eq!(code, Some(0), "{shown}");
        assert!(shown.contains("~/.gitconfig"), "{shown:?}");
        shown.contains('\x1b')
    }

    #[test]
    fn term_dumb_gets_no_colour_even_in_ci() {
        assert!(!plan_coloured(&[("TERM", "dumb")], &[]));
        assert!(!plan_coloured(&[("TERM", "dumb"), ("CI", "true")], &[]));
    }

    #[test]
    fn colour_follows_the_terminal_and_term() {
        assert!(plan_coloured(&[("TERM", "xterm-256color")], &[]));
        assert!(plan_coloured(&[("TERM", "dumb"), ("CLICOLOR", "1")], &[]));
        // With no TERM at all, CI says the terminal can show colour.
        assert!(plan_coloured(&[("CI", "true")], &[]));
    }

    #[test]
    fn no_color_and_clicolor_turn_auto_off() {
        assert!(!plan_coloured(&[("TERM", "xterm"), ("NO_COLOR", "1")], &[]));
        assert!(!plan_coloured(&[("TERM", "xterm"), ("CLICOLOR", "0")], &[]));
        assert!(plan_coloured(&[("TERM", "xterm"), ("CLICOLOR", "1")], &[]));
        // An empty NO_COLOR is no request.
        assert!(plan_coloured(&[("TERM", "xterm"), ("NO_COLOR", "")], &[]));
    }

    #[test]
    fn the_color_flag_wins_on_a_terminal() {
        let never = ["--color", "never"];
        assert!(!plan_coloured(
            &[("CLICOLOR_FORCE", "1"), ("TERM", "xterm")],
            &never
        ));
        assert!(plan_coloured(&[("NO_COLOR", "1")], &["--color", "always"]));
    }

    #[test]
    fn errors_on_a_terminal_follow_the_same_rules() {
        let w = world();
        w.manifest("version = 1\n[links]\n\"~/.gitconfig\" = 3\n");
        let (code, shown) = run(&w, &[("TERM", "xterm")], &["plan"], Tty::Stderr);
        assert_eq!(code, Some(1));
        assert!(shown.contains("\x1b[1m\x1b[31merror"), "{shown:?}");
        let (_, shown) = run(&w, &[("TERM", "dumb")], &["plan"], Tty::Stderr);
        assert!(
            shown.contains("error") && !shown.contains('\x1b'),
            "{shown:?}"
        );
    }
}
