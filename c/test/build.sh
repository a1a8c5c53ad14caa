#!/usr/bin/env bash
# build.sh - builds c/handoff.h with every compiler a C programmer has here,
# each with -Wall -Wextra -Wpedantic -Werror: gcc and clang (-std=c99, c11,
# gnu11), g++ and clang++ (C++11, C++17), x86_64-w64-mingw32-gcc and -g++;
# in both include orders (c/test/order.c), two files with a private
# implementation each (HANDOFF_STATIC) linked together, and the examples
# and tests (-fsyntax-only but for the linked pair). clang --target=x86_64-pc-windows-msvc checks the public part
# only (-fsyntax-only): there are no MSVC headers here for the rest, so a
# check that the header calls none of the string functions MSVC's /sdl
# refuses stands in for it. Then no function of the header may be longer
# than 60 lines (c/test/funclen.sh). A compiler that is missing fails the
# run, unless HANDOFF_C_SKIP_MISSING=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
warn=(-Wall -Wextra -Wpedantic -Werror)
n=0 missing=()

have() {
	if command -v "$1" >/dev/null; then
		return 0
	fi
	missing+=("$1")
	return 1
}

# cc_ COMPILER ARGS...: one compile, shown only if it fails.
cc_() {
	n=$((n + 1))
	if ! "$@" 2>"$out/err"; then
		echo "FAILED: $*"
		cat "$out/err"
		return 1
	fi
}

# orders COMPILER LANGFLAGS...: order.c in both orders, with and without
# the implementation.
orders() {
	local first impl
	for first in "" -DHANDOFF_TEST_SYSTEM_FIRST; do
		for impl in "" -DHANDOFF_TEST_IMPLEMENTATION; do
			cc_ "$@" "${warn[@]}" $first $impl -Ic -fsyntax-only c/test/order.c
		done
	done
}

# hardest COMPILER LANGFLAGS...: order.c with the system's headers first and
# the implementation, the one order that feature macros could break.
hardest() {
	cc_ "$@" "${warn[@]}" -DHANDOFF_TEST_SYSTEM_FIRST -DHANDOFF_TEST_IMPLEMENTATION -Ic -fsyntax-only c/test/order.c
}

# linked COMPILER LANGFLAGS...: two files, each with a private
# implementation, and a main: one program.
linked() {
	cc_ "$@" "${warn[@]}" -DHANDOFF_STATIC -DHANDOFF_TEST_IMPLEMENTATION -DHANDOFF_TEST_SYSTEM_FIRST -DHANDOFF_TEST_MAIN -Ic -c c/test/order.c -o "$out/a.o"
	cc_ "$@" "${warn[@]}" -DHANDOFF_STATIC -DHANDOFF_TEST_IMPLEMENTATION -DHANDOFF_TEST_LATE -DHANDOFF_TEST_NAME=order_other -Ic -c c/test/order.c -o "$out/b.o"
	cc_ "$1" "$out/a.o" "$out/b.o" -o "$out/order"
}

# programs COMPILER LANGFLAGS...: the examples and tests.
programs() {
	local f
	for f in c/examples/parent.c c/examples/child.c c/test/selftest.c c/test/starttest.c; do
		cc_ "$@" "${warn[@]}" -Ic -fsyntax-only "$f"
	done
}

for c in gcc clang x86_64-w64-mingw32-gcc; do
	have "$c" || continue
	orders "$c" -std=c99
	hardest "$c" -std=c11
	hardest "$c" -std=gnu11
	linked "$c" -std=c99
	programs "$c" -std=c99
	echo "$c: -std=c99, c11, gnu11: built"
done
for c in g++ clang++ x86_64-w64-mingw32-g++; do
	have "$c" || continue
	orders "$c" -x c++ -std=c++11
	hardest "$c" -x c++ -std=c++17
	linked "$c" -x c++ -std=c++11
	programs "$c" -x c++ -std=c++11
	echo "$c: -std=c++11, c++17: built"
done
if have clang; then
	cc_ clang --target=x86_64-pc-windows-msvc -fsyntax-only "${warn[@]}" -std=c99 -Ic c/test/order.c
	cc_ clang --target=x86_64-pc-windows-msvc -fsyntax-only "${warn[@]}" -x c++ -std=c++11 -Ic c/test/order.c
	echo "clang --target=x86_64-pc-windows-msvc -fsyntax-only: the public part (no MSVC headers here for the implementation)"
fi
if grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strncpy|strncat|gets|sscanf|_snprintf)\s*\(' c/handoff.h; then
	echo "c/handoff.h calls a string function MSVC's /sdl refuses"
	exit 1
fi
bash c/test/funclen.sh c/handoff.h
echo "$n compiles and links, warnings as errors"
if [[ ${#missing[@]} -gt 0 ]]; then
	echo "MISSING COMPILERS: ${missing[*]}"
	[[ ${HANDOFF_C_SKIP_MISSING:-} == 1 ]] || exit 1
fi
