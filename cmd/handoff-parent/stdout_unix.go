//go:build unix

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// stdoutClosedAtStart reports whether standard output is the /dev/null
// that Go's runtime opens, read-write, for a descriptor 1 closed at start.
// A shell's ">/dev/null" opens it write-only.
func stdoutClosedAtStart() bool {
	fl, err := unix.FcntlInt(uintptr(unix.Stdout), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_ACCMODE != unix.O_RDWR {
		return false
	}
	var out, null unix.Stat_t
	if unix.Fstat(unix.Stdout, &out) != nil || unix.Stat(os.DevNull, &null) != nil {
		return false
	}
	return out.Rdev == null.Rdev && out.Mode&unix.S_IFMT == unix.S_IFCHR && null.Mode&unix.S_IFMT == unix.S_IFCHR
}
