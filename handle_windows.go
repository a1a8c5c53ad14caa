package handoff

import (
	"os"

	"golang.org/x/sys/windows"
)

// valueAlign is what every handle value must be a multiple of: Windows
// ignores a handle value's low two bits.
const valueAlign = 4

// sysHandle is a handle, 0 once closed.
type sysHandle struct {
	h windows.Handle
}

func (h *sysHandle) value() uintptr { return uintptr(h.h) }

func (h *sysHandle) close() error {
	if h.h == 0 {
		return os.ErrClosed
	}
	hh := h.h
	h.h = 0
	return os.NewSyscallError("CloseHandle", windows.CloseHandle(hh))
}
