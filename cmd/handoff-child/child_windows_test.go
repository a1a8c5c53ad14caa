package main

import (
	"strconv"
	"syscall"
	"testing"
	"unsafe"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

// object is what a child inherits here: a handle, which must be
// inheritable.
type object = windows.Handle

// inheritance lists the handles a child is to inherit, which it gets with
// the same values.
type inheritance struct{ handles []windows.Handle }

// pass adds h and returns its value in the child.
func (in *inheritance) pass(h windows.Handle) string {
	in.handles = append(in.handles, h)
	return strconv.Itoa(int(h))
}

// run runs the test binary as handoff-child with args, letting it inherit
// the handles, and returns its output and exit code.
func (in *inheritance) run(t *testing.T, args ...string) (stdout string, code int) {
	t.Helper()
	cmd := childCommand(args...)
	cmd.SysProcAttr = new(syscall.SysProcAttr)
	for _, h := range in.handles {
		cmd.SysProcAttr.AdditionalInheritedHandles = append(cmd.SysProcAttr.AdditionalInheritedHandles, syscall.Handle(h))
	}
	return runCommand(t, cmd)
}

var inheritable = &windows.SecurityAttributes{
	Length:        uint32(unsafe.Sizeof(windows.SecurityAttributes{})),
	InheritHandle: 1,
}

// mayBeInherited reports whether v names a handle that this process may have
// inherited: open, and inheritable.
func mayBeInherited(v uint64) bool {
	var flags uint32
	return v <= 0xFFFFFFFF && winapi.GetHandleInformation(windows.Handle(v), &flags) == nil && flags&windows.HANDLE_FLAG_INHERIT != 0
}
