//go:build linux && !handoff_pipe

package handoff

import (
	"os"

	"golang.org/x/sys/unix"
)

// valueAlign is what every handle value must be a multiple of.
const valueAlign = 1

// sysHandle is a file descriptor, -1 once closed.
type sysHandle struct {
	fd int
}

// closedHandle is a sysHandle that holds nothing.
var closedHandle = sysHandle{-1}

func (h *sysHandle) value() uintptr { return uintptr(h.fd) }

// readFd returns the descriptor that this process polls and reads.
func (h *sysHandle) readFd() int { return h.fd }

func (h *sysHandle) close() error {
	if h.fd < 0 {
		return os.ErrClosed
	}
	fd := h.fd
	h.fd = -1
	return os.NewSyscallError("close", unix.Close(fd))
}
