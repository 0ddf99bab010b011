#!/bin/sh
# gen_man.sh PROGRAM NAME SUMMARY OUT.1: a man page from the program's own --help (and, when
# --help lists commands, each "PROGRAM COMMAND --help"), so the page never drifts from the
# program. Run by the build (src/cli/meson.build); the page is installed into man1.
set -eu
prog=$1 name=$2 summary=$3 out=$4
version=$("$prog" --version 2>/dev/null | sed -n '1s/.* //p')
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
# Verbatim text in roff: backslashes doubled, a leading . or ' protected by \&.
verbatim() { sed -e 's/\\/\\\\/g' -e "s/^\([.']\)/\\\\\&\1/"; }
{
    printf '.TH %s 1 "" "%s %s" "User Commands"\n' "$(echo "$name" | tr '[:lower:]' '[:upper:]')" "$name" "${version:-}"
    printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
    printf '.SH DESCRIPTION\nThe text below is the output of \\fB%s \\-\\-help\\fR.\n.PP\n.nf\n' "$name"
    "$prog" --help | verbatim
    printf '.fi\n'
    # Commands: the indented names under "commands:" in the top-level help.
    cmds=$("$prog" --help | sed -n '/^commands:/,/^$/{/^  [a-z]/s/^  \([a-z]*\).*/\1/p}')
    if [ -n "$cmds" ]; then
        printf '.SH COMMANDS\n'
        for c in $cmds; do
            # A command whose help the top-level --help already printed (train) is not repeated.
            "$prog" --help | grep -qxF -- "$("$prog" "$c" --help | head -1)" && continue
            printf '.SS %s\n.nf\n' "$c"
            "$prog" "$c" --help | verbatim
            printf '.fi\n'
        done
    fi
    printf '.SH SEE ALSO\nThe project documentation: README.md and docs/cli.md in the source tree.\n'
} > "$tmp"
mv "$tmp" "$out"
trap - EXIT
