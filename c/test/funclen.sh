#!/usr/bin/env bash
# funclen.sh FILE... - fails if a C function is longer than 60 lines, from
# the line that names it to its closing brace. A function's body opens with
# "{" alone at the start of a line and closes with "}" there, as in
# c/handoff.h; struct and enum bodies are not function bodies.
set -euo pipefail
max=${HANDOFF_MAX_FUNC_LINES:-60}
awk -v max="$max" '
	/^\{$/ && prev ~ /\)$/ { start = FNR - 1; name = prev; next }
	/^\}/ && start { n = FNR - start + 1; if (n > max) { printf "%s:%d: %s: %d lines, more than %d\n", FILENAME, start, name, n, max; bad = 1 } if (n > longest) longest = n; count++; start = 0 }
	{ prev = $0 }
	END { printf "%d functions, the longest %d lines (at most %d)\n", count, longest, max; exit bad }
' "$@"
