//! Feeling native in a shell: completion scripts (run in a real bash), the man page, examples
//! at the end of every subcommand's help, and `check`, which validates the manifest alone.

use clap::{CommandFactory, Parser};
use linkfile::cli::Cli;

use crate::harness::World;

fn subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect()
}

/// The example lines that end `help` (after a line "Examples:").
fn examples(help: &str) -> Option<Vec<String>> {
    let (_, after) = help.split_once("\nExamples:\n")?;
    Some(after.lines().map(|l| l.trim().to_string()).collect())
}

#[test]
fn every_subcommand_help_ends_with_two_or_three_examples() {
    let w = World::new();
    let names = subcommands();
    assert!(names.len() >= 12, "{names:?}");
    for name in &names {
        for flag in ["--help", "-h"] {
            let r = w.run(&[name, flag]);
            assert_eq!(r.code, 0, "{name} {flag}: {}", r.stderr);
            let Some(lines) = examples(&r.stdout) else {
                panic!(
                    "`linkfile {name} {flag}` has no Examples: section:\n{}",
                    r.stdout
                );
            };
            let lines: Vec<_> = lines.into_iter().filter(|l| !l.is_empty()).collect();
            assert!(
                (2..=3).contains(&lines.len()),
                "{name} {flag}: {} examples: {lines:?}",
                lines.len()
            );
            for line in &lines {
                assert!(
                    line.starts_with("linkfile "),
                    "{name} {flag}: the help does not end with its examples: {line:?}"
                );
            }
        }
    }
}

/// Every example is a command line linkfile accepts (up to a redirection, a pipe or `&&`).
#[test]
fn every_example_parses() {
    let mut checked = 0;
    for sub in Cli::command().get_subcommands() {
        let help = sub
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        for line in examples(&format!("\n{help}")).unwrap_or_default() {
            for part in line.split("&&") {
                let command = part.split(['>', '|']).next().unwrap();
                let words: Vec<&str> = command.split_whitespace().collect();
                if words.is_empty() {
                    continue;
                }
                assert_eq!(words[0], "linkfile", "{line}");
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("the example `{line}` does not parse:\n{e}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 24, "only {checked} examples");
}

#[test]
fn completions_are_written_for_every_shell_without_a_manifest() {
    let w = World::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = w.run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("linkfile"), "{shell}: {}", r.stdout);
        for sub in ["apply", "check", "completions"] {
            assert!(r.stdout.contains(sub), "{shell} lacks {sub}");
        }
    }
    let r = w.run(&["completions", "tcsh"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("invalid value 'tcsh'"), "{}", r.stderr);
}

/// What bash offers after `words` (the last one being completed), with linkfile's script
/// sourced in a real bash.
#[cfg(unix)]
fn bash_offers(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    // bash calls a completion function with the command, the word and the previous word.
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _linkfile linkfile '{}' '{prev}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words[cword]
    );
    let child = crate::harness::spawn(
        std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &program])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped()),
    );
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut offered: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    offered.sort();
    offered
}

#[cfg(unix)]
#[test]
fn bash_completes_subcommands_flags_and_values() {
    let bash_runs = std::process::Command::new("bash")
        .args(["--norc", "-c", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !bash_runs {
        crate::skip!(Setup, "bash is not installed");
    }
    let w = World::new();
    let r = w.run(&["completions", "bash"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let script = w.root.join("linkfile.bash");
    std::fs::write(&script, &r.raw_stdout).unwrap();
    assert_eq!(bash_offers(&script, &["linkfile", "ap"]), ["apply"]);
    assert_eq!(
        bash_offers(&script, &["linkfile", "c"]),
        ["check", "completions"]
    );
    assert_eq!(
        bash_offers(&script, &["linkfile", "un"]),
        ["undo", "unlink"]
    );
    assert_eq!(
        bash_offers(&script, &["linkfile", "apply", "--dr"]),
        ["--dry-run"]
    );
    assert_eq!(
        bash_offers(&script, &["linkfile", "apply", "--d"]),
        ["--diff-lines", "--dry-run"]
    );
    assert_eq!(
        bash_offers(&script, &["linkfile", "apply", "--on-conflict", ""]),
        ["adopt", "backup", "fail"]
    );
    let shells = bash_offers(&script, &["linkfile", "completions", ""]);
    for shell in ["bash", "elvish", "fish", "powershell", "zsh"] {
        assert!(shells.contains(&shell.to_string()), "{shells:?}");
    }
    assert_eq!(
        bash_offers(&script, &["linkfile", "completions", "f"]),
        ["fish"]
    );
    let top = bash_offers(&script, &["linkfile", ""]);
    for expected in ["--manifest", "--home", "plan", "doctor", "man"] {
        assert!(top.contains(&expected.to_string()), "{top:?}");
    }
}

#[test]
fn man_prints_a_roff_page_naming_every_subcommand_and_their_examples() {
    let w = World::new();
    let r = w.run(&["man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // As printed: the harness shows `\` as `/` on Windows, and roff is made of backslashes.
    let page = &r.raw_stdout;
    assert!(page.contains(".TH linkfile 1"), "{page}");
    for section in ["NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS", "EXAMPLES"] {
        assert!(page.contains(&format!(".SH {section}")), "no {section}");
    }
    for name in subcommands() {
        assert!(page.contains(&format!("linkfile\\-{name}")) || page.contains(&name));
    }
    assert!(page.contains(r"linkfile apply \-\-dry\-run"), "{page}");
}

#[test]
fn check_accepts_a_valid_manifest_without_reading_its_originals() {
    let w = World::new();
    // Neither original exists, and the `each` folder is missing: plan would say so, check
    // does not look.
    w.manifest(
        "version = 1\n\n[links]\n\"~/.vimrc\" = \"vim/vimrc\"\n\n[[link]]\nat = \"~/.config/nvim\"\nto = \"nvim\"\neach = true\n",
    );
    let before = w.snapshot_all();
    let r = w.run(&["check"]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "ok: 2 entries\n"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr, "");
    assert_eq!(w.snapshot_all(), before, "check wrote something");
    let r = w.run(&["-q", "check"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
    assert_ne!(
        w.run(&["plan"]).code,
        0,
        "plan should find the originals missing"
    );
}

#[test]
fn check_rejects_a_bad_manifest_with_the_diagnostic() {
    let w = World::new();
    w.manifest("version = 1\n\n[[link]]\nat = \"~/.vimrc\"\nsrc = \"vim/vimrc\"\n");
    let r = w.run(&["check"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("unknown field `src`"), "{}", r.stderr);
    assert!(r.stderr.contains("linkfile.toml:5:1"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `to`"), "{}", r.stderr);
    // An error resolve finds: a link outside the home.
    w.manifest("version = 1\n\n[links]\n\"~/a\" = \"x\"\n\"~/a/\" = \"y\"\n");
    let r = w.run(&["check"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("linkfile.toml:5:"), "{}", r.stderr);
}
