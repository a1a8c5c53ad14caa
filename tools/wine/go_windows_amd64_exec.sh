# shellcheck shell=sh disable=SC2154 # loader: set by the header
# The body of the go_windows_amd64_exec wrapper that tools/wine/setup.sh
# (Wine 8, on the host) and tools/wine/wine10.sh (Wine 10, in its Debian
# trixie tree) write: each puts a header before it that exports the Wine
# settings (WINEPREFIX...) and sets loader, the path of the wine loader
# binary that the last part below looks for. See tools/wine/setup.sh,
# "exec wrapper", for why each part is there.
#
# Start the wine session (wineserver, services.exe, explorer.exe...) with
# stdio on /dev/null first: otherwise those processes inherit go test's
# stdout/stderr pipe and it waits 60 s for "Test I/O incomplete".
# wineserver -p exits 2 when a server already runs for this prefix.
wineserver -p </dev/null >/dev/null 2>&1 || [ $? -eq 2 ] || {
	echo "go_windows_amd64_exec: wineserver -p failed (WINEPREFIX=$WINEPREFIX)" >&2
	exit 1
}
# -R: no address space randomization (see tools/wine/setup.sh).
setarch -R wine cmd /c exit </dev/null >/dev/null 2>&1
# wine runs as a child (see tools/wine/setup.sh), with this standard input
# rather than the /dev/null an asynchronous command gets, and gets INT and
# TERM passed on.
exec 3<&0
setarch -R wine "$@" <&3 3<&- &
pid=$!
exec 3<&-
trap 'kill -INT $pid 2>/dev/null' INT
trap 'kill -TERM $pid 2>/dev/null' TERM
while :; do
	wait $pid
	rc=$?
	kill -0 $pid 2>/dev/null || break
done
err=$(readlink /proc/$$/fd/2)
case $err in pipe:*) ;; *) exit "$rc" ;; esac
for d in /proc/[0-9]*; do
	[ "$(readlink "$d/exe" 2>/dev/null)" = "$loader" ] || continue
	[ "$(readlink "$d/fd/2" 2>/dev/null)" = "$err" ] || continue
	grep -q '^SigCgt:[[:space:]]*0*$' "$d/status" 2>/dev/null || continue
	cmdline=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null)
	kill -9 "${d#/proc/}" 2>/dev/null &&
		printf "go_windows_amd64_exec: killed process %s, stuck in Wine's start-up: %s\n" "${d#/proc/}" "$cmdline" >&2
done
exit "$rc"
