#!/usr/bin/env bash
# Runs the linkfile role with ansible-playbook against localhost on throwaway homes and checks the
# recap: a check run changes nothing, a first run changes, a second is ok, a file in the way fails
# with linkfile's message; stand-ins for linkfile check that a JSON error object on stdout is
# read. ansible-playbook must be in PATH (.ci/run installs it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
cargo build --quiet
bin="$repo/target/debug/linkfile"
manifest="$repo/examples/dotfiles/linkfile.toml"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Ansible's own files go to the throwaway folder too, and its output stays plain for grep.
export ANSIBLE_LOCAL_TEMP="$work/ansible-local" ANSIBLE_REMOTE_TMP="$work/ansible-remote"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
export LC_ALL="${LC_ALL:-C.UTF-8}"

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# play HOME [ansible-playbook args...]: runs the role for HOME; its output is in $work/out.
play() {
    local home="$1"
    shift
    set +e
    ansible-playbook -i localhost, -c local "$here/playbook.yml" \
        -e ansible_python_interpreter="$(command -v python3)" \
        -e linkfile_manifest="$manifest" -e linkfile_home="$home" -e linkfile_bin="$bin" \
        "$@" >"$work/out" 2>&1
    echo "exit $?" >>"$work/out"
    set -e
    shown=0
}

# expect WHAT TEXT: the last play's output contains TEXT.
expect() {
    if ! grep -qF -- "$2" "$work/out"; then
        fail "$1: no '$2' in the output"
        if [ "$shown" -eq 0 ]; then
            sed 's/^/    /' "$work/out" >&2
            shown=1
        fi
    fi
}

home="$(mktemp -d "$work/home.XXXX")"

play "$home" --check
expect "check run" "changed=1"
[ ! -e "$home/.gitconfig" ] || fail "check run: $home/.gitconfig was made"

play "$home"
expect "first run" "changed=1"
expect "first run" "failed=0"
expect "first run" "exit 0"
[ "$(readlink "$home/.gitconfig")" = "$repo/examples/dotfiles/git/config" ] ||
    fail "first run: $home/.gitconfig is not the link to git/config"

play "$home"
expect "second run" "ok=1"
expect "second run" "changed=0"
expect "second run" "exit 0"

in_the_way="$(mktemp -d "$work/home.XXXX")"
echo "mine" >"$in_the_way/.gitconfig"
play "$in_the_way"
expect "conflict" "failed=1"
expect "conflict" "1 conflict; nothing was changed"
expect "conflict" "conflict at $in_the_way/.gitconfig (file-in-the-way)"
expect "conflict" "hint: deal with each conflict"
[ "$(cat "$in_the_way/.gitconfig")" = "mine" ] || fail "conflict: $in_the_way/.gitconfig was changed"
[ ! -e "$in_the_way/.vimrc" ] || fail "conflict: $in_the_way/.vimrc was made"

# With --json an error is one object on stdout; stand-ins for linkfile print one. A manifest
# error, from plan:
stand_in="$work/linkfile-bad-manifest"
cat >"$stand_in" <<'SH'
#!/bin/sh
echo '{"error": {"message": "unknown key `src`", "hint": "write `to`", "file": "/r/linkfile.toml", "line": 3, "column": 1}}'
exit 1
SH
chmod +x "$stand_in"
play "$home" -e linkfile_bin="$stand_in"
expect "JSON error" "failed=1"
expect "JSON error" "linkfile: /r/linkfile.toml:3:1: unknown key \`src\`"
expect "JSON error" "hint: write \`to\`"

# A conflict, from apply, with no report: the plan's conflicts are named.
stand_in="$work/linkfile-conflict"
cat >"$stand_in" <<'SH'
#!/bin/sh
case " $* " in
*" plan "*)
    echo '{"version": 1, "changes": 0, "conflicts": 1, "entries": [{"at": "/h/.x", "action": "conflict", "reason": "file-in-the-way", "hint": "move /h/.x away"}]}'
    ;;
*)
    echo '{"error": {"message": "1 conflict; nothing was changed", "hint": "deal with it"}}'
    exit 1
    ;;
esac
SH
chmod +x "$stand_in"
play "$home" -e linkfile_bin="$stand_in"
expect "JSON conflict" "failed=1"
expect "JSON conflict" "linkfile: 1 conflict; nothing was changed"
expect "JSON conflict" "conflict at /h/.x (file-in-the-way): move /h/.x away"
expect "JSON conflict" "hint: deal with it"

if [ "$failures" -ne 0 ]; then
    echo "examples/ansible/test.sh: $failures failed" >&2
    exit 1
fi
echo "examples/ansible/test.sh: ok"
