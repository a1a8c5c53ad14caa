#!/usr/bin/env bash
# A second Windows runtime beside the host's Wine 8: Debian trixie's Wine 10,
# in a Debian tree of its own (debootstrap), so that the host keeps its Wine 8.
#
#   bash tools/wine/wine10.sh setup          provisions it when missing
#   bash tools/wine/wine10.sh run CMD [ARG...]
#                                            runs CMD in it, from the current
#                                            folder, with Wine 10's wine and
#                                            wineserver, and Go, on PATH
#   bash tools/wine/wine10.sh mirror         prints the Debian mirror that
#                                            setup takes from the host's apt
#
# setup (root; idempotent, each step skipped when its result is there):
#   1. installs debootstrap on the host (apt-get) if missing;
#   2. debootstrap --variant=minbase trixie into the cache folder, from the
#      Debian mirror apt already uses, and no other (about 45 s, 215 MB);
#   3. inside it: apt-get install --no-install-recommends wine wine64 and
#      the mingw-w64 C compiler (about 40 s), with which internal/e2e builds the
#      C programs for Windows (as Wine 8 gets from tools/wine/setup.sh); no
#      ProcessPrng shim: Wine 10 has ProcessPrng;
#   4. writes the go_windows_amd64_exec wrapper (the one Wine 8 gets from
#      tools/wine/setup.sh, the same body) into the tree's /opt/handoff/bin;
#   5. creates the tree's own Wine prefix, /opt/handoff/prefix (wineboot -i);
#   6. checks that a GOOS=windows hello-world runs under it.
#
# run: in a private mount namespace (unshare -m), mounts /proc, /dev, /tmp,
# this work tree, Go's root and Go's caches into the tree, at the same
# paths as on the host, and runs CMD there (chroot) with a clean environment:
# PATH (the wrapper, Go, the tree's system), the Wine settings, Go's settings
# from the host's `go env`, and the host's CI and HANDOFF_* variables. The
# mounts end with the namespace: nothing stays mounted after a run. The last
# run to end stops the tree's wineserver, so that no process keeps the
# namespace alive.
#
# Progress and errors go to stderr, each naming the step; setup exits
# non-zero on the first step that fails.
#
# Settings: HANDOFF_WINE10_DIR   (default $HOME/.cache/handoff/wine10)
#           HANDOFF_DEBIAN_MIRROR (default: the mirror of the host's apt;
#                                  setup fails if apt names none)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${HANDOFF_WINE10_DIR:-$HOME/.cache/handoff/wine10}
root=$dir/root  # the trixie tree
suite=trixie
packages=(wine wine64 gcc-mingw-w64-x86-64-win32)
# In the tree:
prefix=/opt/handoff/prefix
bindir=/opt/handoff/bin
runtime=/opt/handoff/run # XDG_RUNTIME_DIR, which Wine 10 wants set
# Taken around the host's apt-get, here and in tools/wine/setup.sh.
apt_lock=/tmp/handoff-apt.lock

step="start"
log() { printf 'wine10: %s\n' "$*" >&2; }
# done_in says how long the step begun at $1 (a $SECONDS) took.
done_in() { log "  done in $((SECONDS - $1)) s"; }
die() {
	printf 'wine10: error: %s: %s\n' "$step" "$*" >&2
	exit 1
}
trap 'die "line $LINENO: \"$BASH_COMMAND\" failed"' ERR

usage() {
	echo "usage: bash tools/wine/wine10.sh setup | run CMD [ARG...] | mirror" >&2
	exit 2
}

# mirror prints the Debian mirror the host's apt uses for its own release
# (VERSION_CODENAME of /etc/os-release): the first source, one-line
# (sources.list) or deb822 (.sources), whose suite is that codename, as
# `apt-get indextargets` reads apt's configuration (APT_CONFIG included).
# No address is written here and there is no fallback: when apt names none,
# it fails, saying so.
mirror() {
	if [[ -n ${HANDOFF_DEBIAN_MIRROR:-} ]]; then
		echo "$HANDOFF_DEBIAN_MIRROR"
		return
	fi
	local codename="" site=""
	if [[ -r /etc/os-release ]]; then
		codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	fi
	[[ -n $codename ]] || die "no VERSION_CODENAME in /etc/os-release: cannot tell which of apt's sources is the host's Debian mirror; set HANDOFF_DEBIAN_MIRROR"
	# shellcheck disable=SC2016 # apt's format, not the shell's
	site=$(apt-get indextargets --no-release-info --format '$(SITE) $(RELEASE)' |
		awk -v c="$codename" '$2 == c { print $1; exit }') ||
		die "apt-get indextargets failed: cannot read apt's sources"
	[[ -n $site ]] || die "apt names no source for $codename (apt-get indextargets, from /etc/apt/sources.list and /etc/apt/sources.list.d): add the Debian mirror this machine uses to apt's sources, or set HANDOFF_DEBIAN_MIRROR"
	echo "$site"
}

# host_go_env prints NAME=VALUE lines of the host's Go settings that the
# tree's go must share: the same caches, flags and toolchain rule. The host's
# go env file is not read in the tree (its HOME is the tree's).
host_go_env() {
	local v
	for v in GOROOT GOPATH GOCACHE GOMODCACHE GOFLAGS GOTOOLCHAIN GOPROXY GOSUMDB GONOSUMDB GOPRIVATE GONOPROXY GOINSECURE; do
		printf '%s=%s\n' "$v" "$(go env "$v")"
	done
}

# in_tree CMD... runs CMD in the tree, in a private mount namespace, as
# described at the top. Env: the caller's GOOS/GOARCH are not passed; CMD
# sets them itself.
in_tree() {
	local goroot gocache gomodcache
	goroot=$(go env GOROOT)
	gocache=$(go env GOCACHE)
	gomodcache=$(go env GOMODCACHE)
	local env=(
		HOME=/root
		PATH="$bindir:$goroot/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		WINEPREFIX="$prefix" WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml="
		XDG_RUNTIME_DIR="$runtime" LANG=C.UTF-8 GOENV=off
	)
	local line
	while IFS= read -r line; do env+=("$line"); done < <(host_go_env)
	while IFS= read -r line; do env+=("$line"); done < <(env | grep -E '^(CI|HANDOFF_[A-Z0-9_]*|TERM)=' | grep -v '^HANDOFF_WINE10_DIR=' || true)
	# The folders mounted in the tree, each at its own path.
	local binds=(/tmp "$repo" "$goroot" "$gocache" "$gomodcache")
	# shellcheck disable=SC2016 # the inner shells expand their own arguments
	unshare --mount --propagation private -- /bin/bash -euo pipefail -c '
		root=$1
		shift
		binds=()
		while [[ $1 != -- ]]; do binds+=("$1"); shift; done
		shift
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		for b in "${binds[@]}"; do
			mkdir -p "$b" "$root$b"
			mount --bind "$b" "$root$b"
		done
		cp -fL /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
		exec chroot "$root" /usr/bin/env -i "$@"' \
		in-tree "$root" "${binds[@]}" -- "${env[@]}" /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$PWD" "$@"
}

# --- setup -------------------------------------------------------------------------
setup() {
	[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot, mount)"
	command -v go >/dev/null || die "go not found on PATH"
	local t
	mkdir -p "$dir"
	# One setup at a time; no process started below may keep fd 9 (the lock).
	exec 9>"$dir.lock"
	flock 9

	step="1. install debootstrap on the host (apt-get)"
	if ! command -v debootstrap >/dev/null || ! command -v unshare >/dev/null; then
		log "$step"
		t=$SECONDS
		# The host's apt may be busy (tools/wine/setup.sh in parallel): wait for it.
		# (Their apt-get update's lock is not waited for by apt itself.)
		local apt=(apt-get -o DPkg::Lock::Timeout=600)
		if ! apt-cache show debootstrap >/dev/null 2>&1; then
			flock "$apt_lock" "${apt[@]}" update >&2 9>&- || die "apt-get update failed"
		fi
		DEBIAN_FRONTEND=noninteractive flock "$apt_lock" \
			"${apt[@]}" install -y --no-install-recommends debootstrap util-linux >&2 9>&- ||
			die "apt-get install debootstrap failed"
		command -v debootstrap >/dev/null || die "debootstrap still missing after apt-get install"
		done_in $t
	fi

	step="2. debootstrap --variant=minbase $suite"
	if [[ ! -f $root/etc/debian_version || ! -x $root/usr/bin/apt-get || -e $root.partial ]]; then
		local m
		m=$(mirror) || exit 1
		log "$step $root $m (about 45 s)"
		t=$SECONDS
		rm -rf "$root" "$root.partial"
		touch "$root.partial"
		debootstrap --variant=minbase "$suite" "$root" "$m" >"$dir/debootstrap.log" 2>&1 9>&- || {
			tail -n 20 "$dir/debootstrap.log" >&2
			die "debootstrap failed (log: $dir/debootstrap.log)"
		}
		rm -f "$root.partial"
		done_in $t
	fi

	step="3. apt-get install --no-install-recommends ${packages[*]} in the $suite tree"
	if [[ ! -x $root/usr/bin/wine || ! -e $root/usr/lib/wine/wine64 || ! -x $root/usr/bin/x86_64-w64-mingw32-gcc ]]; then
		log "$step (about 40 s)"
		t=$SECONDS
		in_tree /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive; dpkg --configure -a && apt-get update && apt-get install -y --no-install-recommends "$@" && apt-get clean' \
			sh "${packages[@]}" >"$dir/apt.log" 2>&1 9>&- || {
			tail -n 20 "$dir/apt.log" >&2
			die "apt-get install failed (log: $dir/apt.log)"
		}
		done_in $t
	fi
	local version
	version=$(in_tree /bin/sh -c 'WINEDEBUG=-all wine --version' 9>&- 2>&1) || die "wine --version failed in the tree: $version"
	[[ $version == wine-10.* ]] || die "the tree's wine is $version, not Wine 10"

	step="4. write the go_windows_amd64_exec wrapper ($bindir in the tree)"
	local loader wrapper=$root$bindir/go_windows_amd64_exec
	mkdir -p "$root$bindir" "$root$runtime"
	chmod 700 "$root$runtime"
	# The wine loader binary, as /proc/PID/exe names it in the tree.
	loader=$(readlink -f "$root/usr/lib/wine/wine64" 2>/dev/null || true)
	loader=${loader#"$root"}
	[[ -n $loader && -x $root$loader ]] || die "no wine64 loader in the tree (/usr/lib/wine/wine64)"
	{
		printf '#!/bin/sh\n'
		printf '# Written by tools/wine/wine10.sh. go run / go test run GOOS=windows\n'
		printf '# GOARCH=amd64 binaries through this when it is on PATH.\n'
		printf 'export WINEPREFIX=%s WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml=" XDG_RUNTIME_DIR=%s\n' "$prefix" "$runtime"
		printf 'loader=%s\n' "$loader"
		cat "$here/go_windows_amd64_exec.sh"
	} >"$wrapper.$$.tmp"
	if cmp -s "$wrapper.$$.tmp" "$wrapper"; then
		rm -f "$wrapper.$$.tmp"
	else
		log "$step"
		chmod 755 "$wrapper.$$.tmp"
		mv -f "$wrapper.$$.tmp" "$wrapper"
	fi

	step="5. create the Wine 10 prefix ($prefix in the tree, wineboot -i)"
	if [[ ! -f $root$prefix/system.reg || ! -d $root$prefix/drive_c/windows/system32 ]]; then
		log "$step"
		t=$SECONDS
		rm -rf "$root$prefix"
		# stdio on /dev/null: wine's session processes (services.exe...)
		# inherit it, and would hold the caller's pipes open.
		in_tree /bin/sh -c 'wineboot -i && wineserver -w' </dev/null >/dev/null 2>&1 9>&- ||
			die "wineboot -i failed"
		[[ -d $root$prefix/drive_c/windows/system32 ]] || die "wineboot did not create $prefix/drive_c/windows/system32"
		done_in $t
	fi
	exec 9>&- # unlock

	step="6. check a GOOS=windows hello-world under Wine 10"
	local tmp out
	tmp=$(mktemp -d -p /tmp) # run mounts /tmp in the tree
	# shellcheck disable=SC2064 # $tmp is known now
	trap "rm -rf '$tmp'" EXIT
	# shellcheck source=tools/wine/hello.sh
	. "$here/hello.sh"
	build_hello "$tmp" || die "GOOS=windows go build of the hello-world failed"
	out=$(cd "$tmp" && run timeout 120 go_windows_amd64_exec hello.exe </dev/null 2>"$tmp/stderr" | tr -d '\r') || true
	if [[ $out != "$hello_ok" ]]; then
		cat "$tmp/stderr" >&2
		die "a GOOS=windows hello-world did not run under Wine 10 (got: ${out:-nothing})"
	fi
	log "ok: $version in $root (prefix $prefix, wrapper in $bindir)"
}

# --- run ---------------------------------------------------------------------------
# Runs take a shared lock for their life; the last one to end (the one that
# then gets the lock alone) stops the tree's wineserver: it was started
# persistent (-p) by the wrapper, and would keep the namespace alive.
run() {
	[[ $# -gt 0 ]] || usage
	[[ -x $root$bindir/go_windows_amd64_exec && -f $root$prefix/system.reg ]] ||
		die "Wine 10 is not provisioned in $root: run bash tools/wine/wine10.sh setup"
	case $PWD/ in
	"$repo"/* | /tmp/*) ;;
	*) die "run from this work tree or /tmp: only those are mounted in the tree (now in $PWD)" ;;
	esac
	local rc=0
	exec 8>"$dir/run.lock"
	flock -s 8
	in_tree "$@" 8>&- || rc=$?
	flock -u 8
	if flock -n -x 8; then
		in_tree /bin/sh -c 'wineserver -k 2>/dev/null; wineserver -w 2>/dev/null; true' </dev/null >/dev/null 2>&1 8>&- || true
		flock -u 8
	fi
	exec 8>&-
	return $rc
}

case ${1:-} in
setup)
	shift
	[[ $# -eq 0 ]] || usage
	setup
	;;
run)
	shift
	step="run $*"
	trap - ERR
	run "$@"
	;;
mirror)
	shift
	[[ $# -eq 0 ]] || usage
	step="mirror"
	mirror
	;;
*) usage ;;
esac
