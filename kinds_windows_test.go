package handoff

// The identity check of TestKinds on Windows: CompareObjectHandles against
// the parent's handle.

import (
	"os"
	"unsafe"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

// sameObject reports whether handle parentValue of the process that started
// this one and handle h of this process refer to the same object: it
// duplicates the starter's handle into this process and compares the two
// (CompareObjectHandles).
func sameObject(parentValue, h uintptr) (bool, error) {
	pid, err := starterPid()
	if err != nil {
		return false, err
	}
	parent, err := windows.OpenProcess(windows.PROCESS_DUP_HANDLE, false, pid)
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

// starterPid returns the pid of the process whose Handoff started this one:
// the parent of this process's parent, the broker.
func starterPid() (uint32, error) {
	broker, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(os.Getppid()))
	if err != nil {
		return 0, os.NewSyscallError("OpenProcess", err)
	}
	defer windows.CloseHandle(broker)
	var info windows.PROCESS_BASIC_INFORMATION
	var n uint32
	if err := windows.NtQueryInformationProcess(broker, windows.ProcessBasicInformation, unsafe.Pointer(&info), uint32(unsafe.Sizeof(info)), &n); err != nil {
		return 0, os.NewSyscallError("NtQueryInformationProcess", err)
	}
	return uint32(info.InheritedFromUniqueProcessId), nil
}
