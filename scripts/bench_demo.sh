# Sourced by the bench_*.sh scripts that run on the demo corpus (with $build set): builds
# speechtrain there if needed, makes the demo corpus if missing, and sets st and data.
st="$build/src/cli/speechtrain"
[[ -x "$st" ]] || meson compile -C "$build" speechtrain >/dev/null
datasets/make_corpus.sh demo >/dev/null 2>&1
data=datasets/demo/train
