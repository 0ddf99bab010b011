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

# Every installed header compiles on its own (includes what it uses).
for h in $(cd "$incdir/.." && find speechtrain -name '*.h'); do
    echo "#include <$h>" | cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$incdir/.." -I"$incdir" -x c - ||
        fail "installed header $h does not compile on its own"
done

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

# 4. The examples, out of tree: cc and pkg-config, nothing from the source tree but the .c files.
py=/usr/bin/python3
bin=$(dirname "$(find "$root" -path '*/bin/speechtrain' | head -1)")
[ -x "$bin/speechtrain" ] || fail "speechtrain not installed"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ex=$work/examples
mkdir -p "$ex"
# A sanitizer build's libraries need their runtime first: the examples are built with it, the
# (uninstrumented) interpreter gets it preloaded.
sans="" preload=""
deps=$(ldd "$libdir/libspeechtrain-common.so")
case $deps in *libasan*) sans=address preload=$(cc -print-file-name=libasan.so) ;; esac
case $deps in *libubsan*) sans=${sans:+$sans,}undefined preload="$preload $(cc -print-file-name=libubsan.so)" ;; esac
san=${sans:+-fsanitize=$sans}
build_ex() {   # name pkg... (as examples/Makefile builds them)
    n=$1
    shift
    # shellcheck disable=SC2046,SC2086
    cc -std=c11 -O2 -Wall -Wextra -Werror $san "$src/examples/$n.c" $(pkg-config --cflags --libs "$@") -lm -o "$ex/$n" ||
        fail "examples/$n.c does not build with pkg-config $*"
}
build_ex mix_cifar speechtrain-mix
build_ex logmel speechtrain-audio
build_ex classify speechtrain-audio speechtrain-model
case $(ldd "$ex/mix_cifar") in *sndfile*|*openblas*) fail "mix_cifar loads libsndfile or OpenBLAS" ;; esac
case $(ldd "$ex/mix_cifar") in *"libspeechtrain-mix.so.0 => $libdir"*) ;; *) fail "mix_cifar does not load the installed library" ;; esac

# mix_cifar: a CIFAR-10-format batch (numpy draws it); the mixed batch keeps pixels in [0, 1],
# soft labels sum to 1 and the batch changed. The binding's test compares its bytes.
"$py" -c "
import numpy as np, sys
r = np.random.default_rng(3)
recs = np.concatenate([r.integers(0, 10, (64, 1)), r.integers(0, 256, (64, 3072))], axis=1).astype(np.uint8)
recs.tofile(sys.argv[1])" "$ex/batch.bin"
for seed in 1 2 3 4; do
    "$ex/mix_cifar" "$ex/batch.bin" 64 "$seed" "$ex/mix$seed.f32" >"$ex/mix$seed.txt" || fail "mix_cifar seed $seed"
    "$py" -c "
import numpy as np, sys
recs = np.fromfile(sys.argv[1], np.uint8).reshape(64, 3073)
out = np.fromfile(sys.argv[2], np.float32)
assert out.size == 64 * (3072 + 10), out.size
x, y = out[:64 * 3072].reshape(64, 3, 32, 32), out[64 * 3072:].reshape(64, 10)
x0 = (recs[:, 1:].astype(np.float32) / np.float32(255)).reshape(64, 3, 32, 32)
assert np.abs(y.sum(1) - 1).max() < 1e-5, 'soft labels do not sum to 1'
assert x.min() >= 0 and x.max() <= 1, 'mixed pixels outside [0, 1]'
assert not np.array_equal(x, x0), 'batch unchanged'
# Each soft label puts its weight on the row's own class and one partner's at most.
assert ((y > 0).sum(1) <= 2).all()
assert (y[np.arange(64), recs[:, 0]] > 0).all()
" "$ex/batch.bin" "$ex/mix$seed.f32" || fail "mix_cifar seed $seed: output ($(cat "$ex/mix$seed.txt"))"
done
# The static libraries: our archives by path, the rest as pkg-config --static lists it; the
# same bytes as the shared build.
# shellcheck disable=SC2046,SC2086
cc -std=c11 -O2 $san "$src/examples/mix_cifar.c" $(pkg-config --cflags speechtrain-mix) "$libdir/libspeechtrain-mix.a" \
    "$libdir/libspeechtrain-common.a" $(pkg-config --libs --static speechtrain-mix | sed 's/-lspeechtrain-[a-z]*//g') \
    -o "$ex/mix_cifar_static" || fail "mix_cifar does not link the static libraries"
case $(ldd "$ex/mix_cifar_static") in *libspeechtrain*) fail "mix_cifar_static loads a shared speechtrain library" ;; esac
"$ex/mix_cifar_static" "$ex/batch.bin" 64 1 "$ex/static.f32" >/dev/null || fail "mix_cifar_static"
cmp -s "$ex/static.f32" "$ex/mix1.f32" || fail "the static build mixes other bytes than the shared one"
"$ex/mix_cifar" "$ex/batch.bin" 64 1 "$ex/bad.f32" candidates=mixup,blend >"$ex/bad.txt" 2>&1 && fail "mix_cifar took candidate 'blend'"
grep -q blend "$ex/bad.txt" || fail "mix_cifar: the error does not name 'blend': $(cat "$ex/bad.txt")"

# logmel: the same bytes as `speechtrain features` on the same file.
for w in "$src"/tests/fixtures/audio/clips/*.wav "$src"/tests/fixtures/audio/rate/tone_44100.wav; do
    b=$(basename "$w" .wav)
    "$ex/logmel" "$w" "$ex/$b.f32" >/dev/null || fail "logmel $w"
    "$bin/speechtrain" features "$w" --out "$ex/$b.npy" >/dev/null || fail "speechtrain features $w"
    size=$(stat -c %s "$ex/$b.f32")
    [ "$size" -eq $((32 * 32 * 4)) ] || fail "logmel $b: $size bytes"
    tail -c "$size" "$ex/$b.npy" | cmp -s - "$ex/$b.f32" || fail "logmel $b differs from speechtrain features"
done
"$ex/logmel" "$src/tests/fixtures/audio/bad/text.wav" "$ex/bad.f32" 2>"$ex/bad.txt" && fail "logmel read a text file"
grep -q "text.wav" "$ex/bad.txt" || fail "logmel: the error does not name the file: $(cat "$ex/bad.txt")"

# classify: a checkpoint trained by the installed program on a tiny corpus labels the unseen
# clips as `speechtrain predict --scores` does: same label, same probability to 1e-5 (batch 1
# against predict's batch of 68: BLAS may sum in another order).
"$src/datasets/make_corpus.sh" tiny "$work/tiny" >/dev/null 2>"$work/corpus.log" || { cat "$work/corpus.log"; fail "corpus"; }
"$bin/speechtrain" train --data "$work/tiny/train" --width 4 --batch 16 --epochs 2 --threads 1 --quiet \
    --out "$work/run" >"$work/train.log" 2>&1 || { cat "$work/train.log"; fail "train"; }
"$bin/speechtrain" predict --model "$work/run/best.ckpt" --audio "$work/tiny/audio" --out "$work/sub.csv" --quiet \
    --scores >/dev/null || fail "predict"
"$ex/classify" "$work/run/best.ckpt" "$work/tiny/audio"/*.wav >"$work/classify.txt" || fail "classify"
"$py" -c "
import csv, sys
pred = {r['fname']: r for r in csv.DictReader(open(sys.argv[1]))}
ours = [l.rstrip('\\n').split(',') for l in open(sys.argv[2])]
assert len(ours) == len(pred) >= 10, (len(ours), len(pred))
for name, label, p in ours:
    r = pred[name]
    assert r['label'] == label, (name, r['label'], label)
    assert abs(float(r['p_' + label]) - float(p)) <= 1e-5, (name, r['p_' + label], p)
print('install.sh: classify = predict --scores on %d clips (%d labels, top p %.3f..%.3f)' % (len(ours),
      len({o[1] for o in ours}), min(float(o[2]) for o in ours), max(float(o[2]) for o in ours)))
" "$work/sub.csv" "$work/classify.txt" || fail "classify differs from predict"
"$ex/classify" "$ex/batch.bin" "$w" 2>"$ex/bad.txt" && fail "classify loaded a non-checkpoint"
grep -q "batch.bin" "$ex/bad.txt" || fail "classify: the error does not name the file: $(cat "$ex/bad.txt")"
echo "install.sh: examples OK"

# 5. The Python binding as installed, against the installed libraries (SPEECHTRAIN_LIBDIR: the
# recorded folder is the one without --destdir), with the C example for byte parity.
pydir=$(dirname "$(find "$root" -path '*/speechtrain/_lib.py' | head -1)")
[ -f "$pydir/_config.py" ] || fail "the Python binding is not installed (no _config.py)"
LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 SPEECHTRAIN_LIBDIR=$libdir PYTHONPATH=$(dirname "$pydir") ST_MIX_EXAMPLE=$ex/mix_cifar SPEECHTRAIN=$bin/speechtrain \
    ST_FIXTURES=$src/tests/fixtures "$py" "$src/tests/python/test_binding.py" Parity LogMel >"$work/python.log" 2>&1 ||
    { cat "$work/python.log" >&2; fail "the Python binding's tests on the installed library"; }
grep -q "skipped" "$work/python.log" && { cat "$work/python.log" >&2; fail "a binding test was skipped"; }
"$py" -c "import sys; sys.path.insert(0, sys.argv[1]); import speechtrain._lib as L; print(L._candidates())" "$(dirname "$pydir")" |
    grep -q "$(sed -n 's/^LIBDIR = "\(.*\)"/\1/p' "$pydir/_config.py")" || fail "_config.py libdir not searched"
echo "install.sh: Python binding OK (installed, byte parity with the C example)"
