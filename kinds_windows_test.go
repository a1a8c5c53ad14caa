package handoff

// The identity check of TestKinds on Windows: CompareObjectHandles against
// the parent's handle.

import (
	"os"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

// sameObject reports whether handle parentValue of this process's parent,
// the process that started it, and handle h of this process refer to the
// same object: it duplicates the parent's handle into this process and
// compares the two (CompareObjectHandles).
func sameObject(parentValue, h uintptr) (bool, error) {
	parent, err := windows.OpenProcess(windows.PROCESS_DUP_HANDLE, false, uint32(os.Getppid()))
	if err != nil {
		return false, os.NewSyscallError("OpenProcess", err)
	}
	defer windows.CloseHandle(parent)
	var dup windows.Handle
	if err := windows.DuplicateHandle(parent, windows.Handle(parentValue), windows.CurrentProcess(), &dup, 0, false, windows.DUPLICATE_SAME_ACCESS); err != nil {
		return false, os.NewSyscallError("DuplicateHandle", err)
	}
	defer windows.CloseHandle(dup)
	return winapi.CompareObjectHandles(dup, windows.Handle(h)), nil
}
