//go:build (unix && !linux) || (linux && handoff_pipe)

package handoff

import (
	"os"

	"golang.org/x/sys/unix"
)

// valueAlign is what every handle value must be a multiple of.
const valueAlign = 1

// sysHandle is one object's descriptors in this process. fd is the one a
// child gets; r is the one this process polls and reads, w the one it
// writes: each of r and w is fd, another descriptor, or -1. By kind:
//
//	event, its maker:    fd = r = the pipe's read end, w = its write end
//	event, in a child:   fd = r = the read end, w = -1
//	ready, its maker:    fd = the write end (until Start gives it away), r = the read end, w = -1
//	ready, in a child:   fd = w = the write end, r = -1
//	semaphore:           fd = r = w = a FIFO open for reading and writing
//	lifeline, in a child: fd = r = the socket
//	shared memory, file: fd, r = w = -1
//
// Every descriptor is -1 once closed.
type sysHandle struct {
	fd, r, w int
	// give makes Start close fd in this process once the child has its
	// copy: the write end of a ready object, which only the child may hold,
	// so that its exit shows as end of file.
	give bool
	// size is what shared memory was created with (macOS rounds what fstat
	// reports up to a page); 0 if unknown.
	size int
}

// closedHandle is a sysHandle that holds nothing.
var closedHandle = sysHandle{fd: -1, r: -1, w: -1}

func (h *sysHandle) value() uintptr { return uintptr(h.fd) }

// readFd returns the descriptor that this process polls and reads, r.
func (h *sysHandle) readFd() int { return h.r }

func (h *sysHandle) close() error {
	if h.fd < 0 && h.r < 0 && h.w < 0 {
		return os.ErrClosed
	}
	var err error
	closed := map[int]bool{-1: true}
	for _, fd := range []int{h.fd, h.r, h.w} {
		if !closed[fd] {
			closed[fd] = true
			if cerr := unix.Close(fd); err == nil {
				err = cerr
			}
		}
	}
	h.fd, h.r, h.w = -1, -1, -1
	return os.NewSyscallError("close", err)
}
