#!/usr/bin/env bash
# The single command that runs every check and test of this project:
#
#   bash scripts/test.sh
#
# Linux natively; the Windows side (GOOS=windows) under two runtimes: the
# host's Wine 8, which tools/wine/setup.sh installs and prepares, and Wine 10
# in a Debian trixie tree of its own, which tools/wine/wine10.sh provisions
# (cached between runs). The Windows tests and the black-box runs of the
# .exe programs (internal/e2e) run under both; each step names the runtime
# its result came from, as `wine --version` gives it.
#
# With CI set (CI=true) nothing is skipped: a Wine setup failure fails the
# run, and the full stress counts, the fuzz targets and the benchmarks run.
# Elsewhere a Wine setup failure is reported loudly, at the start and at the
# end, and that runtime's tests are skipped; HANDOFF_QUICK=1 (ignored in CI)
# also skips the fuzz targets and the benchmarks, for an everyday run.
#
# Independent steps run at the same time where 2 cores allow it: the Wine
# installs (mostly network and disk) beside the static checks, the two
# runtimes' Windows tests side by side (each mostly waits on its
# wineserver), the benchmarks natively beside those under Wine and the
# fuzz targets' builds. The steps that CPU load could break or weaken (the
# Linux tests under -race, the stress counts, the fuzzing itself) run alone.
# Each step prints its duration; the end prints them all and the total.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
unset GOOS GOARCH # native unless a step says otherwise

case ${CI:-} in
"" | false | 0) in_ci=false ;;
*) in_ci=true ;;
esac
quick=false
if [[ ${HANDOFF_QUICK:-} == 1 ]]; then
	if $in_ci; then
		echo "HANDOFF_QUICK=1 ignored: CI runs everything"
	else
		quick=true
	fi
fi
staticcheck_version=v0.8.2
timeout=10m
# go vet runs below for every GOOS and tag the tests are built for: the
# tests skip go test's own vet, a subset of go vet's checks, not to repeat it.
novet=-vet=off

start=$SECONDS
current="start"
skipped=() # what was not run, and why
tab=$'\t'
times=() # "SECONDS<tab>STEP" of each step that ended
tmp=$(mktemp -d)

# --- steps and background jobs ------------------------------------------------------
# step TITLE: a foreground step begins (the one before it ends).
step_start=$SECONDS
step() {
	end_step
	failed_at=""
	current=$*
	step_start=$SECONDS
	printf '\n== %s\n' "$*"
}
end_step() {
	if [[ $current != start && -n $current ]]; then
		times+=("$((SECONDS - step_start))$tab$current")
		printf -- '-- %ds\n' $((SECONDS - step_start))
	fi
	current=""
}

# bg NAME TITLE CMD...: runs CMD in the background, its output in a file,
# until join NAME.
declare -A job_pid job_title job_start
bg() {
	local name=$1 title=$2
	shift 2
	job_title[$name]=$title
	job_start[$name]=$SECONDS
	(
		rc=0
		"$@" || rc=$?
		echo $SECONDS >"$tmp/job.$name.end"
		exit $rc
	) >"$tmp/job.$name.log" 2>&1 </dev/null &
	job_pid[$name]=$!
	printf '\n== %s: started in the background\n' "$title"
}
# join NAME: waits for job NAME, prints its output and its time, and
# returns its exit status.
join() {
	local name=$1 rc=0 end
	end_step
	wait "${job_pid[$name]}" || rc=$?
	end=$(cat "$tmp/job.$name.end" 2>/dev/null || echo $SECONDS)
	printf '\n== %s (in the background)\n' "${job_title[$name]}"
	cat "$tmp/job.$name.log"
	printf -- '-- %ds, exit %d\n' $((end - job_start[$name])) "$rc"
	times+=("$((end - job_start[$name]))$tab${job_title[$name]} (in the background)")
	if [[ $rc -ne 0 ]]; then
		failed_at=${job_title[$name]}
	fi
	return $rc
}

summary() {
	local t
	printf '\n== time of each step\n'
	for t in "${times[@]}"; do
		printf '%6ss  %s\n' "${t%%"$tab"*}" "${t#*"$tab"}"
	done
	printf '%6ss  total\n' $((SECONDS - start))
}

finish() {
	local rc=$? pid
	failed_at=${failed_at:-$current}
	end_step
	for pid in "${job_pid[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$tmp"
	summary
	if [[ ${#skipped[@]} -gt 0 ]]; then
		printf '\n!!!!! NOT RUN: %s\n' "${skipped[@]}"
	fi
	if [[ $rc -ne 0 ]]; then
		printf '\n== FAILED at step "%s" (exit %d) after %ds\n' "$failed_at" "$rc" $((SECONDS - start))
	fi
}
failed_at=""
trap 'failed_at=${failed_at:-${current:-?}}' ERR
trap finish EXIT

# wine_version prints "Wine 8.0 (wine-8.0 (Debian 8.0~repack-4))" from the
# output of wine --version.
wine_version() {
	local v=$1 n
	n=${v#wine-}
	n=${n%% *}
	printf 'Wine %s (%s)' "$n" "$v"
}

# runtime_failed RUNTIME LOG: a runtime's setup failed. In CI that fails
# the run; elsewhere its tests are skipped, loudly.
runtime_failed() {
	local what=$1 log=$2 reason
	reason=$(grep 'error:' "$log" | tail -n 1 || true)
	reason="$what failed${reason:+: ${reason#*error: }}"
	if $in_ci; then
		printf '!!!!! WINDOWS TESTS CANNOT RUN (CI): %s\n' "$reason"
		exit 1
	fi
	printf '!!!!! WINDOWS TESTS NOT RUN: %s\n' "$reason"
	skipped+=("$reason")
}

# --- a. in the background: the two Wine runtimes, staticcheck -------------------------
# Wine 10 first: it takes longest, and its apt-get (debootstrap, on a fresh
# machine) is short, while Wine 8's is long; the two take turns on the
# host's apt. tools/wine/setup.sh: progress on stderr, the export lines on
# stdout.
bg wine10 "Wine 10 setup (tools/wine/wine10.sh setup)" \
	bash tools/wine/wine10.sh setup
# shellcheck disable=SC2016 # $1 is the inner shell's
bg wine8 "Wine 8 setup (tools/wine/setup.sh)" \
	bash -c 'bash tools/wine/setup.sh >"$1"' sh "$tmp/wine8.env"
# Built natively once, kept between runs: "go run ...@version" with
# GOOS=windows would build a windows staticcheck and run it under Wine.
staticcheck=${HANDOFF_TOOLS:-$HOME/.cache/handoff/tools}/staticcheck-$staticcheck_version/staticcheck
install_staticcheck() {
	if [[ -x $staticcheck ]] && "$staticcheck" -version | grep -qF "${staticcheck_version#v})"; then
		echo "$staticcheck: already there"
		return
	fi
	GOBIN=$(dirname "$staticcheck") go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
	"$staticcheck" -version
}
bg staticcheck "go install staticcheck@$staticcheck_version" install_staticcheck

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
join staticcheck
step "staticcheck $staticcheck_version (GOOS=linux, GOOS=windows, GOOS=darwin, -tags handoff_pipe)"
echo "-- GOOS=linux"
"$staticcheck" ./...
echo "-- GOOS=windows"
GOOS=windows GOARCH=amd64 "$staticcheck" ./...
echo "-- GOOS=darwin"
GOOS=darwin GOARCH=amd64 "$staticcheck" ./...
echo "-- GOOS=linux -tags handoff_pipe"
"$staticcheck" -tags handoff_pipe ./...

# --- the runtimes ----------------------------------------------------------------
wine8="" wine10="" # "Wine N.M (...)" when the runtime is ready
if join wine8; then
	eval "$(cat "$tmp/wine8.env")"
	wine8=$(wine_version "$(wine --version)")
	echo "runtime: $wine8"
else
	runtime_failed "tools/wine/setup.sh (Wine 8)" "$tmp/job.wine8.log"
fi

# --- d2. the C header with every compiler -------------------------------------------
# c/test/build.sh builds c/handoff.h with gcc, clang, g++, clang++ and
# MinGW's gcc and g++, warnings as errors, in any include order and
# language standard, and holds its functions to 60 lines; its programs run
# in internal/e2e (step f, and under Wine 10 in step g). After Wine 8's
# setup, which installs MinGW's gcc: what is still missing is installed
# here (root), else the step fails. About 30 s.
install_compilers() {
	local want=(gcc:gcc g++:g++ clang:clang clang++:clang x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64-win32
		x86_64-w64-mingw32-g++:g++-mingw-w64-x86-64-win32) pkgs=() w
	for w in "${want[@]}"; do
		command -v "${w%%:*}" >/dev/null || pkgs+=("${w#*:}")
	done
	[[ ${#pkgs[@]} -eq 0 ]] && return 0
	if [[ $(id -u) -ne 0 ]]; then
		echo "c/test/build.sh needs: apt-get install --no-install-recommends ${pkgs[*]}"
		return 1
	fi
	echo "installing ${pkgs[*]} (for c/test/build.sh)"
	flock /tmp/handoff-apt.lock apt-get -o DPkg::Lock::Timeout=600 update >/dev/null &&
		DEBIAN_FRONTEND=noninteractive flock /tmp/handoff-apt.lock apt-get -o DPkg::Lock::Timeout=600 \
			install -y --no-install-recommends "${pkgs[@]}" >/dev/null
}
step "the C header: c/test/build.sh (gcc, clang, g++, clang++, MinGW gcc and g++; -Werror)"
install_compilers
bash c/test/build.sh

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
if [[ -n $wine8 ]]; then
	step "generated zsyscall files are current (GOOS=windows go generate ./..., under $wine8)"
	check_generated
else
	skipped+=("the go generate check (needs Wine)")
fi

# --- f. Linux tests (./internal/e2e runs the .exe programs under Wine 8 too) --
if [[ -n $wine8 ]]; then
	export HANDOFF_WINE=1 # lets internal/e2e run the Windows programs under Wine
	step "go test -race ./... (linux; internal/e2e's Windows cases under $wine8)"
else
	step "go test -race ./... (linux; internal/e2e's Windows cases not run: no Wine)"
fi
if ! command -v "$(go env CC)" >/dev/null; then
	# -race needs cgo, hence a C compiler.
	if [[ $(id -u) -eq 0 ]]; then
		echo "installing gcc (needed by go test -race)"
		flock /tmp/handoff-apt.lock apt-get -o DPkg::Lock::Timeout=600 update >/dev/null &&
			DEBIAN_FRONTEND=noninteractive flock /tmp/handoff-apt.lock apt-get -o DPkg::Lock::Timeout=600 \
				install -y --no-install-recommends gcc libc6-dev >/dev/null
	else
		echo "go test -race needs a C compiler: apt-get install gcc libc6-dev"
		exit 1
	fi
fi
CGO_ENABLED=1 go test "$novet" -race -count=1 -timeout "$timeout" ./...

# --- f2. the pipe backend of macOS and the BSDs, on Linux ------------------------------
# The same packages built with -tags handoff_pipe use the pipe backend
# (event_pipe.go, child_pipe.go, parent_pipe.go) instead of eventfd and
# pidfd: the code macOS and the BSDs get, run here on every run. Its own
# tests are in handoff_pipe_test.go; internal/e2e builds the Linux programs
# with the tag and leaves the Windows cases, which the tag does not change,
# to step f. About 20 s.
step "go test -race -tags handoff_pipe ./... (linux, the pipe backend of macOS and the BSDs)"
CGO_ENABLED=1 go test "$novet" -race -count=1 -timeout "$timeout" -tags handoff_pipe ./...

# --- g. Windows tests under both runtimes, side by side ------------------------------
# Wine 8 on the host; Wine 10 in its tree (tools/wine/wine10.sh run), where
# `wine` and the go_windows_amd64_exec wrapper are Wine 10's: there the
# GOOS=windows tests, then internal/e2e's Windows cases (its Linux cases ran
# in step f).
wine10_tests() {
	local rc=0 e2e=0 ran
	echo "-- GOOS=windows go test ./... (under $wine10)"
	bash tools/wine/wine10.sh run env GOOS=windows GOARCH=amd64 \
		go test "$novet" -count=1 -timeout "$timeout" ./... || rc=1
	echo "-- go test -run '/^windows\$' ./internal/e2e (HANDOFF_WINE=1: the .exe programs under $wine10)"
	# -v to count the Windows cases that ran: a pattern that matches none
	# would pass.
	bash tools/wine/wine10.sh run env HANDOFF_WINE=1 \
		go test "$novet" -count=1 -v -timeout "$timeout" -run '/^windows$' ./internal/e2e >"$tmp/e2e10.log" 2>&1 || e2e=1
	if [[ $e2e -ne 0 ]]; then
		cat "$tmp/e2e10.log"
		return 1
	fi
	grep -E '^(ok|PASS)\b|^e2e: ' "$tmp/e2e10.log" || true
	ran=$(grep -cE '^ +--- PASS: Test[^ ]*/windows ' "$tmp/e2e10.log" || true)
	echo "internal/e2e: $ran Windows case(s) passed under $wine10"
	if [[ $ran -eq 0 ]]; then
		echo "internal/e2e ran no Windows case under $wine10"
		return 1
	fi
	return $rc
}
if join wine10; then
	wine10=$(wine_version "$(bash tools/wine/wine10.sh run wine --version)")
	echo "runtime: $wine10"
	bg windows10 "GOOS=windows go test ./... and internal/e2e's Windows cases, under $wine10" wine10_tests
else
	runtime_failed "tools/wine/wine10.sh setup (Wine 10)" "$tmp/job.wine10.log"
fi
if [[ -n $wine8 ]]; then
	step "GOOS=windows go test ./... (under $wine8)"
	GOOS=windows GOARCH=amd64 go test "$novet" -count=1 -timeout "$timeout" ./...
else
	skipped+=("GOOS=windows go test ./... under Wine 8")
fi
if [[ -n $wine10 ]]; then
	join windows10
else
	skipped+=("GOOS=windows go test ./... and internal/e2e under Wine 10")
fi

# --- h. stress: every fault 100 times, in CI ------------------------------------------
# The run above repeats each fault of faults_test.go 10 times. The full
# count (HANDOFF_STRESS=full: 100 of each, 4 rounds of 50 launches at once)
# takes about 60 s on 2 cores natively, so CI runs it there (under Wine 8 it
# took 219 s, which CI does not spend); HANDOFF_STRESS=full runs it
# anywhere. -v shows the figures (cross-leaks, repetitions, failures, times).
stress_tests='^(TestConcurrentLaunches|TestKillParent|TestKillChild|TestHangingChild|TestSoak)$'
if $in_ci || [[ ${HANDOFF_STRESS:-} == full ]]; then
	step "stress: go test -race -run '$stress_tests' . (HANDOFF_STRESS=full)"
	HANDOFF_STRESS=full CGO_ENABLED=1 go test "$novet" -race -count=1 -v -timeout "$timeout" -run "$stress_tests" .
else
	skipped+=("the full stress counts (10 of each fault ran; CI=true or HANDOFF_STRESS=full runs 100)")
fi

# --- the fuzz targets, built beside step i and run in step j ------------------------
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
fuzztime=${HANDOFF_FUZZTIME:-10s}
fuzz() { go test "$novet" ${tags:+-tags "$tags"} -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" "$pkg"; }
# build_fuzz builds each package's fuzzing test binary once, which leaves
# its instrumented packages in the build cache for the runs of step j.
build_fuzz() {
	local target pkg name tags built=" "
	for target in "${fuzz_targets[@]}"; do
		read -r pkg name tags <<<"$target"
		[[ $built == *" $pkg:$tags "* ]] && continue
		built+="$pkg:$tags "
		echo "go test -c -fuzz . ${tags:+-tags $tags }$pkg"
		go test "$novet" -c ${tags:+-tags "$tags"} -fuzz . -o "$tmp/fuzz.test" "$pkg" || return 1
	done
	rm -f "$tmp/fuzz.test"
}

# --- i. benchmarks: once each, to prove they still run (no number is judged) ---------
# Natively, with the whole runs under Wine 8 too (HANDOFF_WINE), and on the
# pipe backend; beside them, the Windows test binary's under Wine 8, and the
# builds of the fuzz targets (nothing here is timed against a bound). bash
# scripts/bench.sh runs the benchmarks for their figures.
if $quick; then
	skipped+=("the benchmarks and the fuzz targets (HANDOFF_QUICK=1)")
else
	if [[ -n $wine8 ]]; then
		bg benchwine "benchmarks under $wine8: GOOS=windows go test -run '^\$' -bench . -benchtime 1x ." \
			env GOOS=windows GOARCH=amd64 go test "$novet" -run '^$' -bench . -benchtime 1x .
	fi
	bg fuzzbuild "the fuzz targets' builds (go test -c -fuzz)" build_fuzz
	step "benchmarks: go test -run '^\$' -bench . -benchtime 1x . (and -tags handoff_pipe)"
	go test "$novet" -run '^$' -bench . -benchtime 1x .
	go test "$novet" -tags handoff_pipe -run '^$' -bench . -benchtime 1x .
	if [[ -n $wine8 ]]; then
		join benchwine
	fi
	join fuzzbuild
fi

# --- j. fuzz: each target for a short fixed time, one at a time ------------------------
# Go 1.26's fuzzing coordinator may end a -fuzztime run with a bare "context
# deadline exceeded" and no failing input, when the deadline finds a worker
# still busy (its stop compares the error with the child context's only;
# go.dev/issue/75804, fixed in Go 1.27). Such a run is told and run once
# more; a failing input, or any other failure, fails the step.
if ! $quick; then
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
fi

end_step
windows="windows: ${wine8:-WINE 8 SKIPPED} + ${wine10:-WINE 10 SKIPPED}"
printf '\n== PASS: gofmt, vet (linux windows darwin freebsd, linux -tags handoff_pipe), staticcheck (linux windows darwin, handoff_pipe), the C header with 6 compilers, %s, tests linux -race + pipe backend -race + %s, in %ds\n' \
	"$([[ -n $wine8 ]] && echo "go generate" || echo "GO GENERATE CHECK SKIPPED")" "$windows" $((SECONDS - start))
