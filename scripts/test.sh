#!/usr/bin/env bash
# The single command that runs every check and test of this project:
#
#   bash scripts/test.sh
#
# Linux natively; the Windows side (GOOS=windows) under Wine, which
# tools/wine/setup.sh installs and prepares. With CI set (CI=true), the
# Windows tests are never skipped: a Wine setup failure fails the run.
# Elsewhere a Wine setup failure is reported loudly, at the start and at the
# end, and the Windows tests are skipped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
unset GOOS GOARCH # native unless a step says otherwise

case ${CI:-} in
"" | false | 0) in_ci=false ;;
*) in_ci=true ;;
esac
staticcheck_version=v0.8.2
timeout=10m

start=$SECONDS
current="start"
wine_skip="" # why the Windows tests were not run, if they were not
tmp=$(mktemp -d)

finish() {
	local rc=$?
	rm -rf "$tmp"
	if [[ -n $wine_skip ]]; then
		printf '\n!!!!! WINDOWS TESTS NOT RUN: %s\n' "$wine_skip"
	fi
	if [[ $rc -ne 0 ]]; then
		printf '\n== FAILED at step "%s" (exit %d) after %ds\n' "$current" "$rc" $((SECONDS - start))
	fi
}
trap finish EXIT

step() {
	current=$*
	printf '\n== %s\n' "$*"
}

# --- a. Wine ------------------------------------------------------------------
step "wine setup (tools/wine/setup.sh)"
# Progress (stderr) is shown and kept; the export lines (stdout) are eval'd.
set +e
bash tools/wine/setup.sh 2>&1 >"$tmp/wine.env" | tee "$tmp/wine.log"
setup_rc=${PIPESTATUS[0]}
set -e
if [[ $setup_rc -eq 0 ]]; then
	eval "$(cat "$tmp/wine.env")"
	export HANDOFF_WINE=1 # lets native end-to-end tests drive Wine
else
	reason=$(grep 'error:' "$tmp/wine.log" | tail -n 1 || true)
	reason="tools/wine/setup.sh failed (exit $setup_rc)${reason:+: ${reason#*error: }}"
	if $in_ci; then
		printf '!!!!! WINDOWS TESTS CANNOT RUN (CI): %s\n' "$reason"
		exit 1
	fi
	wine_skip=$reason
	printf '!!!!! WINDOWS TESTS NOT RUN: %s\n' "$wine_skip"
fi

# --- b. gofmt -----------------------------------------------------------------
step "gofmt -l ."
unformatted=$(gofmt -l .)
if [[ -n $unformatted ]]; then
	printf 'gofmt: these files are not gofmt-formatted (run gofmt -w):\n%s\n' "$unformatted"
	exit 1
fi

# --- c. go vet ------------------------------------------------------------------
for os in linux windows darwin freebsd; do
	step "go vet ./... (GOOS=$os)"
	GOOS=$os GOARCH=amd64 go vet ./...
done
# darwin and freebsd above vet the pipe backend as macOS and FreeBSD build it;
# this vets it as Linux builds it for its tests (step f2).
step "go vet -tags handoff_pipe ./... (GOOS=linux: the pipe backend)"
GOOS=linux GOARCH=amd64 go vet -tags handoff_pipe ./...

# --- d. staticcheck -------------------------------------------------------------
step "staticcheck $staticcheck_version (GOOS=linux, GOOS=windows, GOOS=darwin, -tags handoff_pipe)"
# Built natively once: "go run ...@version" with GOOS=windows would build a
# windows staticcheck and run it under Wine.
GOBIN="$tmp/bin" go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
echo "-- GOOS=linux"
"$tmp/bin/staticcheck" ./...
echo "-- GOOS=windows"
GOOS=windows GOARCH=amd64 "$tmp/bin/staticcheck" ./...
echo "-- GOOS=darwin"
GOOS=darwin GOARCH=amd64 "$tmp/bin/staticcheck" ./...
echo "-- GOOS=linux -tags handoff_pipe"
"$tmp/bin/staticcheck" -tags handoff_pipe ./...

# --- e. generated files ------------------------------------------------------------
find_gen() {
	find . \( -path ./.git -o -path ./vendor \) -prune -o -type f -name 'zsyscall*.go' -print | sort
}
restore_gen() {
	local f
	for f in "${gen_before[@]}"; do cp -p "$tmp/gen/$f" "$f"; done
	for f in "${gen_after[@]}"; do [[ -f $tmp/gen/$f ]] || rm -f "$f"; done
}
check_generated() {
	local f stale=()
	mapfile -t gen_before < <(find_gen)
	gen_after=()
	for f in "${gen_before[@]}"; do
		mkdir -p "$tmp/gen/$(dirname "$f")"
		cp -p "$f" "$tmp/gen/$f"
	done
	if ! GOOS=windows GOARCH=amd64 go generate ./...; then
		mapfile -t gen_after < <(find_gen)
		restore_gen
		echo "go generate failed"
		return 1
	fi
	mapfile -t gen_after < <(find_gen)
	for f in "${gen_after[@]}"; do
		if [[ ! -f $tmp/gen/$f ]]; then
			stale+=("$f (generated, but not in the tree)")
		elif ! cmp -s "$f" "$tmp/gen/$f"; then
			diff -u "$tmp/gen/$f" "$f" | head -n 40 || true
			stale+=("$f")
		fi
	done
	for f in "${gen_before[@]}"; do
		[[ -f $f ]] || stale+=("$f (removed by go generate)")
	done
	if [[ ${#stale[@]} -gt 0 ]]; then
		restore_gen
		printf 'stale generated file: %s\n' "${stale[@]}"
		echo "run: GOOS=windows go generate ./...   and commit the result"
		return 1
	fi
	echo "${#gen_before[@]} zsyscall file(s), all current"
}
# go generate gives its directives GOOS=windows, so a "go run" generator
# (mkwinsyscall) is built for windows and runs under Wine through the exec
# wrapper: this check needs Wine too.
if [[ -z $wine_skip ]]; then
	step "generated zsyscall files are current (GOOS=windows go generate ./...)"
	check_generated
	generate="go generate"
else
	step "generated zsyscall files are current: SKIPPED (needs Wine)"
	wine_skip+=" (the go generate check was skipped too)"
	generate="GO GENERATE CHECK SKIPPED"
fi

# --- f. Linux tests (includes ./internal/e2e, which drives Wine via HANDOFF_WINE) --
step "go test -race ./... (linux${HANDOFF_WINE:+, HANDOFF_WINE=1})"
if ! command -v "$(go env CC)" >/dev/null; then
	# -race needs cgo, hence a C compiler.
	if [[ $(id -u) -eq 0 ]]; then
		echo "installing gcc (needed by go test -race)"
		apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends gcc libc6-dev >/dev/null
	else
		echo "go test -race needs a C compiler: apt-get install gcc libc6-dev"
		exit 1
	fi
fi
CGO_ENABLED=1 go test -race -count=1 -timeout "$timeout" ./...

# --- f2. the pipe backend of macOS and the BSDs, on Linux ------------------------------
# The same packages built with -tags handoff_pipe use the pipe backend
# (event_pipe.go, child_pipe.go, parent_pipe.go) instead of eventfd and
# pidfd: the code macOS and the BSDs get, run here on every run. Its own
# tests are in handoff_pipe_test.go; internal/e2e builds the Linux programs
# with the tag and leaves the Windows cases, which the tag does not change,
# to step f. About 20 s.
step "go test -race -tags handoff_pipe ./... (linux, the pipe backend of macOS and the BSDs)"
CGO_ENABLED=1 go test -race -count=1 -timeout "$timeout" -tags handoff_pipe ./...

# --- g. Windows tests under Wine -----------------------------------------------------
if [[ -z $wine_skip ]]; then
	step "go test ./... (GOOS=windows GOARCH=amd64, under Wine)"
	GOOS=windows GOARCH=amd64 go test -count=1 -timeout "$timeout" ./...
	windows="windows (wine)"
else
	step "go test ./... (GOOS=windows): SKIPPED"
	windows="WINDOWS SKIPPED"
fi

# --- h. stress: every fault 100 times, in CI ------------------------------------------
# The run above repeats each fault of stress_linux_test.go 10 times. The full
# count (HANDOFF_STRESS=full: 100 of each, 4 rounds of 50 launches at once)
# takes about 70 s on 2 cores, so CI runs it; HANDOFF_STRESS=full runs it
# anywhere. -v shows the figures (cross-leaks, repetitions, failures, times).
stress_tests='^(TestConcurrentLaunches|TestKillParent|TestKillChild|TestHangingChild|TestSoak)$'
if $in_ci || [[ ${HANDOFF_STRESS:-} == full ]]; then
	step "stress: go test -race -run '$stress_tests' . (HANDOFF_STRESS=full)"
	HANDOFF_STRESS=full CGO_ENABLED=1 go test -race -count=1 -v -timeout "$timeout" -run "$stress_tests" .
else
	step "stress: full count SKIPPED (10 of each fault ran above; CI=true or HANDOFF_STRESS=full runs 100)"
fi

# --- i. fuzz: each target for a short fixed time ----------------------------------------
# One line per target, "PACKAGE TARGET [TAGS]": to fuzz a new target, add its
# line. What the fuzzer finds is written to PACKAGE/testdata/fuzz/TARGET/:
# commit it. The Open targets run on both Linux backends.
fuzz_targets=(
	". FuzzParseValue"
	". FuzzOpenEvent"
	". FuzzOpenLifeline"
	". FuzzOpenEvent handoff_pipe"
	". FuzzOpenLifeline handoff_pipe"
	". FuzzParseHandles"
	"./cmd/handoff-child FuzzParse"
	"./internal/trace FuzzParseLine"
)
#
# Go 1.26's fuzzing coordinator may end a -fuzztime run with a bare "context
# deadline exceeded" and no failing input, when the deadline finds a worker
# still busy (its stop compares the error with the child context's only;
# go.dev/issue/75804, fixed in Go 1.27). Such a run is told and run once
# more; a failing input, or any other failure, fails the step.
fuzztime=${HANDOFF_FUZZTIME:-10s}
fuzz() { go test ${tags:+-tags "$tags"} -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" "$pkg"; }
for target in "${fuzz_targets[@]}"; do
	read -r pkg name tags <<<"$target"
	step "fuzz: go test${tags:+ -tags $tags} -run '^\$' -fuzz '^$name\$' -fuzztime $fuzztime $pkg"
	if fuzz 2>&1 | tee "$tmp/fuzz.log"; then
		continue
	fi
	if ! grep -q 'context deadline exceeded' "$tmp/fuzz.log" || grep -q 'Failing input written' "$tmp/fuzz.log"; then
		exit 1
	fi
	echo "fuzz: $name: a bare 'context deadline exceeded', no failing input (go.dev/issue/75804): once more"
	fuzz
done

# --- j. benchmarks: once each, to prove they still run (no number is judged) ---------
# Natively, with the whole runs under Wine too (HANDOFF_WINE), and on the pipe
# backend; then the Windows test binary's under Wine. bash scripts/bench.sh
# runs them for their figures.
step "benchmarks: go test -run '^\$' -bench . -benchtime 1x . (and -tags handoff_pipe)"
go test -run '^$' -bench . -benchtime 1x .
go test -tags handoff_pipe -run '^$' -bench . -benchtime 1x .
if [[ -z $wine_skip ]]; then
	step "benchmarks under Wine: GOOS=windows go test -run '^\$' -bench . -benchtime 1x ."
	GOOS=windows GOARCH=amd64 go test -run '^$' -bench . -benchtime 1x .
fi

current="summary"
printf '\n== PASS: gofmt, vet (linux windows darwin freebsd, linux -tags handoff_pipe), staticcheck (linux windows darwin, handoff_pipe), %s, tests linux -race + pipe backend -race + %s, in %ds\n' \
	"$generate" "$windows" $((SECONDS - start))
