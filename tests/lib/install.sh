#!/bin/sh
# install.sh BUILDDIR SRCDIR WORKDIR: the installed library from a user's side.
#   1. `meson install --destdir` the build into WORKDIR/root;
#   2. every exported symbol of the installed .so files carries the SPEECHTRAIN_0 version node
#      and is a function declared in an installed header, and every declared function is
#      exported (nm -D);
#   3. the pkg-config files: a program that only mixes does not pull in libsndfile or OpenBLAS
#      (pkg-config --static); the man pages are installed;
#   4. examples/ built out of tree with cc and `pkg-config --cflags --libs` only, and run:
#      their outputs compared with the speechtrain program's on the same input.
# A destdir install keeps the configured prefix inside the .pc files; the copies here get
# prefix=WORKDIR/root/PREFIX, which is what `meson setup --prefix WORKDIR/root/PREFIX` writes.
set -eu
build=$1 src=$2 work=$3
fail() { echo "install.sh: FAIL: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
root=$work/root
meson install -C "$build" --destdir "$root" --no-rebuild --quiet >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "meson install"; }

pcdir=$(dirname "$(find "$root" -name speechtrain-mix.pc | head -1)")
[ -d "$pcdir" ] || fail "no speechtrain-mix.pc installed"
libdir=$(dirname "$pcdir")
incdir=$(find "$root" -type d -path '*/include/speechtrain' | head -1)
[ -f "$incdir/version.h" ] || fail "no include/speechtrain/version.h installed"
for p in common mix audio model; do
    f=$pcdir/speechtrain-$p.pc
    [ -f "$f" ] || fail "no $f"
    prefix=$(sed -n 's/^prefix=//p' "$f")
    sed -i "s|^prefix=.*|prefix=$root$prefix|" "$f"
    for k in so a; do ls "$libdir/libspeechtrain-$p."$k* >/dev/null 2>&1 || fail "no libspeechtrain-$p.$k"; done
done

# 2. Symbols.
grep -hE '^[a-z][a-z0-9_ *]*[ *]([a-z_][a-z0-9_]*)\(' -r "$incdir" | grep -v '^static\|^typedef' |
    sed -E 's/^[a-z][a-z0-9_ *]*[ *]([a-z_][a-z0-9_]*)\(.*/\1/' | sort -u >"$work/declared.txt"
[ -s "$work/declared.txt" ] || fail "no functions found in the installed headers"
: >"$work/exported.txt"
for so in "$libdir"/libspeechtrain-*.so; do
    nm -D --defined-only "$so" | awk '{print $NF}' | while read -r sym; do
        case $sym in
        SPEECHTRAIN_0) ;;                                   # the version node itself
        *@@SPEECHTRAIN_0) echo "${sym%@@*}" >>"$work/exported.txt" ;;
        *) fail "$(basename "$so") exports $sym without the SPEECHTRAIN_0 version" ;;
        esac
    done
done
sort -u -o "$work/exported.txt" "$work/exported.txt"
extra=$(comm -13 "$work/declared.txt" "$work/exported.txt")
[ -z "$extra" ] || fail "exported but not in an installed header (internal symbols leak): $extra"
missing=$(comm -23 "$work/declared.txt" "$work/exported.txt")
[ -z "$missing" ] || fail "declared in an installed header but not exported: $missing"

# 3. pkg-config and man pages.
export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
for p in common mix audio model; do
    pkg-config --exists "speechtrain-$p" || fail "pkg-config does not find speechtrain-$p"
done
mixlibs=$(pkg-config --libs --static speechtrain-mix)
case $mixlibs in *sndfile*|*openblas*|*samplerate*) fail "speechtrain-mix pulls in audio/BLAS libraries: $mixlibs" ;; esac
case $mixlibs in *-lspeechtrain-common*) ;; *) fail "speechtrain-mix does not link speechtrain-common: $mixlibs" ;; esac
case $(pkg-config --libs --static speechtrain-audio) in *sndfile*) ;; *) fail "speechtrain-audio lacks libsndfile" ;; esac
case $(pkg-config --libs --static speechtrain-model) in *openblas*) ;; *) fail "speechtrain-model lacks OpenBLAS" ;; esac
[ "$(pkg-config --modversion speechtrain-mix)" = "$(sed -n 's/^#define SPEECHTRAIN_VERSION "\(.*\)"/\1/p' "$incdir/version.h")" ] ||
    fail "pkg-config version differs from version.h"
for m in speechtrain imagetrain; do
    page=$(find "$root" -path "*/man1/$m.1" | head -1)
    [ -n "$page" ] || fail "no man page $m.1 installed"
    grep -q '^\.SH NAME' "$page" || fail "$page has no NAME section"
done
echo "install.sh: install, symbols, pkg-config and man pages OK"
