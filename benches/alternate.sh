#!/usr/bin/env bash
# Whole-process timing of one build against another, run alternately on the same home so that a
# busy machine slows both alike: `bash benches/alternate.sh REV [ROUNDS]` builds REV and the work
# tree (release profile) and times `linkfile plan -q` of 10,000 right links (100 folders × 100
# files, applied once first), ROUNDS times each (default 40), printing each build's median and
# the ratio work tree / REV.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bash benches/alternate.sh REV [ROUNDS]}
rounds=${2:-40}
out=target/alternate
mkdir -p "$out"

# The other build, from a throwaway worktree (its target/ apart, so this tree's stays warm).
old="$out/linkfile-$(git rev-parse --short "$rev")"
if [ ! -x "$old" ]; then
    wt=$(mktemp -d)
    tgt=$(mktemp -d)
    git worktree add -q --detach "$wt" "$rev"
    (cd "$wt" && cargo build -q --release --target-dir "$tgt")
    cp "$tgt/release/linkfile" "$old"
    git worktree remove --force "$wt"
    rm -rf "$tgt"
fi
cargo build -q --release
new=target/release/linkfile

# The fixture: a repo of 10,000 files and its manifest, applied once into a fresh home.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/repo" "$dir/home" "$dir/state"
{
    echo 'version = 1'
    echo '[links]'
    for d in $(seq -w 0 99); do
        mkdir -p "$dir/repo/d$d"
        for f in $(seq -w 0 99); do
            : > "$dir/repo/d$d/f$f"
            echo "\"~/d$d/f$f\" = \"d$d/f$f\""
        done
    done
} > "$dir/repo/linkfile.toml"
export LINKFILE_STATE_DIR="$dir/state"
run() { "$1" -m "$dir/repo/linkfile.toml" --home "$dir/home" "${@:2}"; }
run "$new" apply -q
run "$old" plan -q >/dev/null   # both read the same home; neither writes in a plan
sync

# Milliseconds of one run of `plan -q`.
time_ms() {
    local t0 t1
    t0=$(date +%s%N)
    run "$1" plan -q >/dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
}
: > "$out/old.txt"
: > "$out/new.txt"
for _ in $(seq "$rounds"); do
    time_ms "$old" >> "$out/old.txt"
    time_ms "$new" >> "$out/new.txt"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'; }
m_old=$(median "$out/old.txt")
m_new=$(median "$out/new.txt")
echo "plan -q, 10,000 right links, $rounds alternate runs each (median ms):"
echo "  $rev: $m_old"
echo "  work tree: $m_new"
awk -v a="$m_new" -v b="$m_old" 'BEGIN { printf "  ratio work tree / %s: %.2f\n", "'"$rev"'", a / b }'
