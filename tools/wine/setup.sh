#!/usr/bin/env bash
# Wine environment for running this project's GOOS=windows binaries and tests
# on Linux (each step below says why it is there). Idempotent:
#   - installs wine, wine64, the mingw-w64 C compiler and setarch (util-linux)
#     when missing (root),
#   - creates the Wine prefix if it does not exist yet,
#   - builds the bcryptprimitives.dll ProcessPrng shim (processprng.c) and
#     copies it into the prefix's system32,
#   - writes the go_windows_amd64_exec wrapper that go run / go test use,
#     which runs wine with address space randomization off (see below),
#   - checks that a GOOS=windows hello-world runs through the wrapper.
#
# Executed: progress goes to stderr; on success stdout gets export lines for
#   eval "$(tools/wine/setup.sh)"
# Sourced (. tools/wine/setup.sh): the same, applied to the current shell.
#
# Settings: HANDOFF_WINEPREFIX (default $HOME/.cache/handoff/wine),
#           HANDOFF_WINE_BIN   (default $HOME/.cache/handoff/bin).

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
	# Sourced: run as a child (keeps this shell's options and exit safe),
	# then apply its exports here.
	if __handoff_wine_env=$(bash "${BASH_SOURCE[0]}"); then
		eval "$__handoff_wine_env"
		unset __handoff_wine_env
		return 0
	fi
	unset __handoff_wine_env
	return 1
fi

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=${HANDOFF_WINEPREFIX:-$HOME/.cache/handoff/wine}
bindir=${HANDOFF_WINE_BIN:-$HOME/.cache/handoff/bin}
export WINEPREFIX=$prefix WINEDEBUG=-all WINEARCH=win64
packages=(wine wine64 gcc-mingw-w64-x86-64-win32 util-linux)

log() { printf 'wine-setup: %s\n' "$*" >&2; }
die() {
	printf 'wine-setup: error: %s\n' "$*" >&2
	exit 1
}
trap 'die "line $LINENO: \"$BASH_COMMAND\" failed"' ERR

# --- 1. packages -------------------------------------------------------------
# Debian's wine64 package puts its loader in /usr/lib/wine, not on PATH.
missing() {
	command -v wine >/dev/null && command -v wineserver >/dev/null &&
		command -v wineboot >/dev/null &&
		{ command -v wine64 >/dev/null || [[ -x /usr/lib/wine/wine64 ]]; } &&
		command -v x86_64-w64-mingw32-gcc >/dev/null && command -v setarch >/dev/null && return 1
	return 0
}
if missing; then
	[[ $(id -u) -eq 0 ]] ||
		die "wine/mingw missing and not root; install: apt-get install --no-install-recommends ${packages[*]}"
	log "installing ${packages[*]} (apt-get, ~200 MB)"
	# tools/wine/wine10.sh may use apt at the same time: one at a time.
	apt_lock=/tmp/handoff-apt.lock
	flock "$apt_lock" apt-get -o DPkg::Lock::Timeout=600 update >&2 || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive flock "$apt_lock" apt-get -o DPkg::Lock::Timeout=600 \
		install -y --no-install-recommends "${packages[@]}" >&2 || die "apt-get install ${packages[*]} failed"
	! missing || die "wine/mingw still missing after apt-get install ${packages[*]}"
fi
command -v go >/dev/null || die "go not found on PATH"

# --- 2. prefix ---------------------------------------------------------------
# One setup at a time per prefix (parallel runs would race in wineboot). No
# wine process may inherit fd 9: a lasting wineserver would hold the lock.
mkdir -p "$(dirname "$prefix")" "$bindir"
if command -v flock >/dev/null; then
	exec 9>"$prefix.lock"
	flock 9
fi
if [[ ! -f $prefix/system.reg || ! -d $prefix/drive_c/windows/system32 ]]; then
	log "creating Wine prefix $prefix (wineboot -i)"
	mkdir -p "$prefix"
	# stdio on /dev/null: wine's session processes (services.exe...) inherit
	# it, and would hold the caller's pipes open.
	wineboot -i </dev/null >/dev/null 2>&1 9>&- || die "wineboot -i failed for $prefix"
	# Wait for the session to end (registry on disk); a persistent wineserver
	# (-p, from the exec wrapper) never ends, hence the timeout.
	timeout 60 wineserver -w || log "wineserver still running after wineboot; continuing"
	[[ -d $prefix/drive_c/windows/system32 ]] || die "wineboot did not create $prefix/drive_c/windows/system32"
fi

# --- 3. ProcessPrng shim (processprng.c says why) ------------------------------
dll=$bindir/bcryptprimitives.dll
if [[ ! -f $dll || $here/processprng.c -nt $dll || $here/processprng.def -nt $dll ]]; then
	log "building $dll"
	x86_64-w64-mingw32-gcc -shared -O2 -s -o "$dll.$$.tmp" \
		"$here/processprng.c" "$here/processprng.def" -ladvapi32 ||
		die "building bcryptprimitives.dll failed"
	mv -f "$dll.$$.tmp" "$dll"
fi
sys32=$prefix/drive_c/windows/system32
if ! cmp -s "$dll" "$sys32/bcryptprimitives.dll"; then
	log "installing bcryptprimitives.dll into $sys32"
	cp -f "$dll" "$sys32/bcryptprimitives.dll"
fi

# --- 4. exec wrapper ----------------------------------------------------------
# Debian's wine64 has no preloader to reserve Wine's fixed addresses before
# anything else is mapped: its loader sits at 0x7d000000, and with address
# space randomization the kernel puts the loader's heap anywhere in the 1 GiB
# above it, now and then over 0x7ffe0000, where Wine must map the shared user
# data. That process then dies as it starts ("err:virtual:
# virtual_alloc_first_teb wine: failed to map the shared user data:
# c0000018") and its CreateProcess fails with "Internal error" (seen: about
# 1 start in 1,000). setarch -R turns randomization off for wine and, by
# inheritance, for every process it starts: the heap then begins right
# after the loader.
#
# Wine 8 also leaves a process behind, stuck for good in its start-up, when
# it is killed (as a kill-on-close job kills it when its creator dies in the
# middle of CreateProcess) after its Unix side has asked the wineserver to
# register its first thread and before the server answered: Windows no
# longer lists it, the server never learnt its Unix pid to kill it, and it
# waits for an answer on a pipe whose write end it holds itself. It keeps
# the Unix standard error it inherited from its creator (every Wine process
# does), go test's output pipe, which then never reaches EOF ("Test I/O
# incomplete"). So the wrapper runs wine as a child and, once it has ended,
# kills each Wine process that still holds the wrapper's standard error, a
# pipe, and never got as far as installing Wine's signal handlers (SigCgt 0
# in /proc/PID/status), and says so. A process that got further is left
# alone: if it holds the pipe, go test reports it.
wrapper=$bindir/go_windows_amd64_exec
{
	printf '#!/bin/sh\n'
	printf '# Written by tools/wine/setup.sh. go run / go test run GOOS=windows\n'
	printf '# GOARCH=amd64 binaries through this when it is on PATH.\n'
	printf 'export WINEPREFIX=%q WINEDEBUG=-all WINEARCH=win64\n' "$prefix"
	printf 'loader=/usr/lib/wine/wine64\n'
	cat "$here/go_windows_amd64_exec.sh"
} >"$wrapper.$$.tmp"
if cmp -s "$wrapper.$$.tmp" "$wrapper"; then
	rm -f "$wrapper.$$.tmp"
else
	log "writing $wrapper"
	chmod 755 "$wrapper.$$.tmp"
	mv -f "$wrapper.$$.tmp" "$wrapper"
fi

# --- 5. verify -----------------------------------------------------------------
exec 9>&- # unlock; wine processes started below must not inherit the lock
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log "checking a GOOS=windows hello-world under wine"
# shellcheck source=tools/wine/hello.sh
. "$here/hello.sh"
build_hello "$tmp" || die "GOOS=windows go build of the hello-world failed"
out=$(cd "$tmp" && timeout 120 "$wrapper" hello.exe </dev/null 2>"$tmp/stderr" | tr -d '\r') || true
if [[ $out != "$hello_ok" ]]; then
	cat "$tmp/stderr" >&2
	die "a GOOS=windows hello-world did not run under wine (got: ${out:-nothing}); is $sys32/bcryptprimitives.dll there?"
fi
log "ok: WINEPREFIX=$prefix, wrapper in $bindir"

# shellcheck disable=SC2016 # $PATH is for eval to expand
printf 'export PATH=%q:"$PATH" WINEPREFIX=%q WINEDEBUG=-all WINEARCH=win64\n' "$bindir" "$prefix"
