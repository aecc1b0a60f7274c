#!/bin/sh
# Builds the release binaries on a Debian 12 machine with no rustup targets beyond the host's:
#   dist/linkfile-x86_64-unknown-linux-musl     static Linux binary (musl)
#   dist/linkfile-x86_64-pc-windows-gnu.exe     Windows binary (MinGW)
# Both use Debian's rustc (rustc-web) and its std source (rust-web-src) with -Zbuild-std, as
# ../shared/windows/ci-windows.sh does, since rustup cannot download target std here.
# Needs: apt-get install rustc-web cargo-web rust-web-src musl-tools libunwind-14-dev
#        gcc-mingw-w64-x86-64
# Usage: sh scripts/release.sh [musl|windows]...   (default: both; run in the crate root)
set -eu
export RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
build() {   # target, extra cargo args...
  target=$1; shift
  /usr/bin/cargo build --release --locked -Zbuild-std=std,panic_abort \
    --target "$target" --target-dir "target/release-dist${dir_suffix:-}" "$@"
}
mkdir -p dist
for what in ${*:-musl windows}; do
  case $what in
    musl)
      # musl-gcc links against Debian's musl; rustc's own self-contained crt objects are not
      # shipped with -Zbuild-std, so linking is left to musl-gcc. std links `-lunwind`, which
      # Debian's musl lacks: LLVM's (libunwind-14-dev) needs no more of libc than musl has.
      tools=$(pwd)/target/release-dist/musl-tools
      mkdir -p "$tools"
      ln -sf /usr/lib/llvm-14/lib/libunwind.a "$tools/libunwind.a"
      # Debian's musl-gcc specs know -static but not -static-pie (the result would ask for
      # /lib/ld-musl-x86_64.so.1): link a plain static executable instead.
      cat > "$tools/cc" <<EOS
#!/bin/sh
for a do shift; case \$a in -static-pie) set -- "\$@" -static -no-pie ;; *) set -- "\$@" "\$a" ;; esac; done
exec musl-gcc -L "$tools" "\$@"
EOS
      chmod +x "$tools/cc"
      CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=$tools/cc \
      RUSTFLAGS="-C link-self-contained=no -C panic=abort" \
        build x86_64-unknown-linux-musl
      cp target/release-dist/x86_64-unknown-linux-musl/release/linkfile dist/linkfile-x86_64-unknown-linux-musl
      ;;
    windows)
      CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
      RUSTFLAGS="-C panic=abort" \
        dir_suffix=-windows build x86_64-pc-windows-gnu
      cp target/release-dist-windows/x86_64-pc-windows-gnu/release/linkfile.exe dist/linkfile-x86_64-pc-windows-gnu.exe
      ;;
    *) echo "usage: sh scripts/release.sh [musl|windows]..." >&2; exit 2 ;;
  esac
done
ls -l dist
