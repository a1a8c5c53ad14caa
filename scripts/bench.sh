#!/usr/bin/env bash
# Runs the benchmarks and makes the figures of docs/performance.md:
#
#   bash scripts/bench.sh
#
# Natively and, for the GOOS=windows test binary and the Windows programs,
# under Wine 8 (tools/wine/setup.sh prepares it), each benchmark COUNT times
# (HANDOFF_BENCH_COUNT, default 6, the fewest for which benchstat gives
# confidence intervals); then, under Wine 10 (tools/wine/wine10.sh, set up
# here if missing), the benchmarks of the Wine 10 column of the targets:
# BenchmarkStart/mode=alternate, BenchmarkStartSteps and
# BenchmarkRun/on=wine. It writes:
#
#   docs/bench/linux.txt, docs/bench/windows.txt   the benchmarks' output
#   docs/bench/wine10.txt                           the same, under Wine 10
#   docs/bench/benchstat.txt                        benchstat's tables of them
#   docs/bench/targets.md, docs/bench/runs.md       the targets, the whole runs
#   docs/bench/machine.txt                          where and how they were made
#   docs/startgate.png, docs/wake.png, docs/run.png the plots (tools/benchplot)
#
# and puts the tables and the machine into docs/performance.md between the
# "bench:begin" and "bench:end" marks. A target missed is a "no" in the
# targets table, never a failed run. With HANDOFF_BENCH_BEFORE=REV it also
# builds handoff-parent and handoff-child as of git revision REV and times
# their runs beside the current ones (BenchmarkRun's handoff-before).
#
# It takes about 15 minutes on 2 cores, Wine 10's part 3 to 4 of them (and
# 2 more the first time, to set up Wine 10). The figures are what this machine
# measured while the run lasted, load included: machine.txt records the load
# average before and after.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
unset GOOS GOARCH
count=${HANDOFF_BENCH_COUNT:-6}
benchstat_version=v0.0.0-20260908200009-22c9c6c9d4da
out=docs/bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step() { printf '\n== %s\n' "$*" >&2; }

step "wine setup (tools/wine/setup.sh, tools/wine/wine10.sh setup)"
eval "$(bash tools/wine/setup.sh)"
bash tools/wine/wine10.sh setup >&2
export HANDOFF_WINE=1
export HANDOFF_BENCH_BIN=$tmp/bin HANDOFF_BENCH_DATA=$tmp/data
mkdir -p "$HANDOFF_BENCH_DATA" "$tmp/data-wine10" "$out"

if [[ -n ${HANDOFF_BENCH_BEFORE:-} ]]; then
	step "building handoff-parent and handoff-child as of $HANDOFF_BENCH_BEFORE"
	git worktree add --detach "$tmp/before-src" "$HANDOFF_BENCH_BEFORE" >&2
	for goos in linux windows; do
		(cd "$tmp/before-src" && GOOS=$goos GOARCH=amd64 CGO_ENABLED=0 \
			go build -o "$tmp/before/$goos/" ./cmd/handoff-parent ./cmd/handoff-child)
	done
	git worktree remove --force "$tmp/before-src"
	export HANDOFF_BENCH_BEFORE_BIN=$tmp/before
fi

machine() {
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc: $(nproc)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "kernel: $(uname -sr)"
	echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "go: $(go env GOVERSION)"
	echo "wine: $(wine --version 2>/dev/null)"
	echo "wine 10: $(bash tools/wine/wine10.sh run wine --version 2>/dev/null)"
	echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!docs' || echo ' (with uncommitted changes)')"
	echo "command: bash scripts/bench.sh (HANDOFF_BENCH_COUNT=$count${HANDOFF_BENCH_BEFORE:+, HANDOFF_BENCH_BEFORE=$HANDOFF_BENCH_BEFORE})"
}
machine >"$out/machine.txt"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"

# The benchmarks of the library, natively, BenchmarkStartSteps with 400
# rounds a count (its ratios move by 5% between counts of a hundred); the
# whole runs natively (they are short: the default benchtime gives hundreds
# of rounds), taken apart (100 rounds a count) and under Wine (20 rounds a
# count); the programs' start gate (5 rounds a count); then the library's
# benchmarks as a Windows test binary under Wine, which finds the Windows
# programs that the native run built.
bench() {
	step "go test -run '^\$' -bench '$1' -count $count ${*:2} ."
	go test -run '^$' -bench "$1" -count "$count" -timeout 60m "${@:2}" .
}
{
	bench '^Benchmark(Start|Wake|StartGate|ChildMemory|RecordInherited)$'
	bench '^BenchmarkStartSteps$' -benchtime 400x
	bench '^BenchmarkRun$/^on=linux$'
	bench '^BenchmarkRunParts$' -benchtime 100x
	bench '^BenchmarkRun$/^on=wine$' -benchtime 20x
	bench '^BenchmarkRunGate$' -benchtime 5x
} | tee "$out/linux.txt"
# Under Wine BenchmarkStart runs 30 rounds a count, and BenchmarkStartSteps
# 20: in a second, a round of their starts fits only a few times.
winbench() {
	step "GOOS=windows go test -run '^\$' -bench '$1' -count $count ${*:2} . (under Wine)"
	GOOS=windows go test -run '^$' -bench "$1" -count "$count" -timeout 60m "${@:2}" .
}
{
	winbench '^Benchmark(Wake|StartGate|ChildMemory)$'
	winbench '^BenchmarkStart$' -benchtime 30x
	winbench '^BenchmarkStartSteps$' -benchtime 20x
} | tee "$out/windows.txt"
# Under Wine 10, in its own Debian tree: the whole runs (from the Linux test
# binary, which starts the Windows programs with Wine 10's loader) and the
# handshake, as under Wine 8. Its samples go to a folder of their own (the
# plots are Wine 8's); the first line of wine10.txt tells benchplot that
# these results are Wine 10's.
wine10() {
	step "under Wine 10: $*"
	HANDOFF_BENCH_DATA=$tmp/data-wine10 bash tools/wine/wine10.sh run "$@"
}
{
	echo "wine: 10"
	wine10 go test -run '^$' -bench '^BenchmarkRun$/^on=wine$' -benchtime 20x -count "$count" -timeout 60m .
	wine10 env GOOS=windows go test -run '^$' -bench '^BenchmarkStart$/^mode=alternate$' -benchtime 30x -count "$count" -timeout 60m .
	wine10 env GOOS=windows go test -run '^$' -bench '^BenchmarkStartSteps$' -benchtime 20x -count "$count" -timeout 60m .
} | tee "$out/wine10.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"

step "binary sizes"
# As built (go build, as README.md's quick start does), and with -ldflags '-s -w'
# (no symbol table, no DWARF) for comparison.
for goos in linux windows; do
	GOOS=$goos GOARCH=amd64 CGO_ENABLED=0 go build -ldflags '-s -w' -o "$tmp/sw/$goos/" ./cmd/handoff-parent ./cmd/handoff-child
done
size() { [[ -f $1 ]] && awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.2f MiB", b / 1048576 }' || printf -- '-'; }
{
	echo "| program | Linux | Linux, -s -w | Windows | Windows, -s -w |"
	echo "| --- | --- | --- | --- | --- |"
	for p in handoff-parent handoff-child classicparent classicchild c-parent c-child; do
		echo "| $p | $(size "$HANDOFF_BENCH_BIN/linux/$p") | $(size "$tmp/sw/linux/$p") |" \
			"$(size "$HANDOFF_BENCH_BIN/windows/$p.exe") | $(size "$tmp/sw/windows/$p.exe") |"
	done
} >"$out/sizes.md"

step "benchstat"
benchstat() { go run "golang.org/x/perf/cmd/benchstat@$benchstat_version" "$@"; }
{
	echo "# Linux"
	benchstat "$out/linux.txt"
	echo
	echo "# Windows, under Wine"
	benchstat "$out/windows.txt"
	echo
	echo "# Windows, under Wine 10"
	benchstat "$out/wine10.txt"
	echo
	echo "# Start: bare against handoff (columns), Linux and Wine 8"
	benchstat -filter '.name:Start -/mode:alternate' -col /mode "$out/linux.txt" "$out/windows.txt"
} >"$out/benchstat.txt"

step "plots (tools/benchplot)"
go -C tools/benchplot run . -data "$HANDOFF_BENCH_DATA" -out "$PWD/docs" -tables "$PWD/$out" \
	"$PWD/$out/linux.txt" "$PWD/$out/windows.txt" "$PWD/$out/wine10.txt"

step "docs/performance.md"
{
	echo "Made by \`bash scripts/bench.sh\` on:"
	echo
	echo '```'
	cat "$out/machine.txt"
	echo '```'
	echo
	echo "Targets (medians over the $count counts of each benchmark; each cell: the"
	echo "measure, its limit and whether it is met, what it was measured against):"
	echo
	cat "$out/targets.md"
	echo
	echo "The start gate (left: time to start N children until all are ready, with"
	echo "linear growth from N=1 dotted; right: from the set until the last child"
	echo "woke; solid: the library with Go children, dotted: with C children,"
	echo "dashed: the programs, handoff-parent -children N), and the wake round"
	echo "trip's distribution:"
	echo
	echo "![start gate](startgate.png)"
	echo
	echo "![wake round trip](wake.png)"
	echo
	echo "Whole runs, start to exit, in rounds of one run of each (medians and quartiles):"
	echo
	cat "$out/runs.md"
	echo
	echo "![whole runs](run.png)"
	echo
	echo "Binary sizes (classicparent and classicchild are the Go pair, c-parent and"
	echo "c-child the C pair, built with gcc -O2 and x86_64-w64-mingw32-gcc -O2):"
	echo
	cat "$out/sizes.md"
	echo
	echo "benchstat's tables of the run: [bench/benchstat.txt](bench/benchstat.txt);"
	echo "the benchmarks' output: [bench/linux.txt](bench/linux.txt),"
	echo "[bench/windows.txt](bench/windows.txt) (Wine 8), [bench/wine10.txt](bench/wine10.txt)."
} >"$tmp/section.md"
doc=docs/performance.md
if ! grep -q '<!-- bench:begin -->' "$doc"; then
	echo "$doc has no <!-- bench:begin --> mark: tables left in $out only" >&2
	exit 1
fi
awk -v section="$tmp/section.md" '
	/<!-- bench:begin -->/ { print; while ((getline line < section) > 0) print line; skip = 1; next }
	/<!-- bench:end -->/ { skip = 0 }
	!skip { print }
' "$doc" >"$tmp/performance.md"
cp "$tmp/performance.md" "$doc"
step "done: $out/, docs/*.png, $doc"
