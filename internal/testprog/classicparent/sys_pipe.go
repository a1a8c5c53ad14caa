//go:build (unix && !linux) || (linux && handoff_pipe)

package main

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The classic parent for handoff's pipe backend (macOS, the BSDs; Linux
// with -tags handoff_pipe): the event is a pipe whose read end every child
// inherits and whose write end stays here; the lifeline is a Unix socket
// pair whose one end every child inherits.

// writeEnds maps an event's read end to its write end.
var writeEnds = map[uintptr]int{}

// newEvent returns the read end of a pipe that is not close-on-exec, so
// every child inherits it. The write end is close-on-exec.
func newEvent() (uintptr, error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err := unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return 0, os.NewSyscallError("pipe", err)
	}
	writeEnds[uintptr(p[0])] = p[1]
	return uintptr(p[0]), nil
}

func setEvent(h uintptr) error {
	_, err := unix.Write(writeEnds[h], []byte{1})
	return os.NewSyscallError("write", err)
}

// newLifeline returns one end of a Unix socket pair that is not
// close-on-exec; the other end, close-on-exec, stays here until this
// process dies.
func newLifeline() (uintptr, error) {
	syscall.ForkLock.RLock()
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(p[0])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return 0, os.NewSyscallError("socketpair", err)
	}
	return uintptr(p[1]), nil
}
