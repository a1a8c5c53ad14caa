package handoff

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// openInherited checks that value names a handle this process inherited, to
// an object of the kind wanted, and makes it not inheritable.
func openInherited(value string, want kind) (sysHandle, error) {
	v, err := ParseValue(value)
	if err != nil {
		return sysHandle{}, err
	}
	h := windows.Handle(v)
	fail := func(sentinel error, format string, args ...any) (sysHandle, error) {
		return sysHandle{}, fmt.Errorf("handoff: %s %s: %w: %s", want, value, sentinel, fmt.Sprintf(format, args...))
	}
	var flags uint32
	if err := getHandleInformation(h, &flags); err != nil {
		return sysHandle{}, fmt.Errorf("handoff: %s %s: %w: no such handle: %w", want, value, ErrNotInherited, os.NewSyscallError("GetHandleInformation", err))
	}
	if flags&windows.HANDLE_FLAG_INHERIT == 0 {
		return fail(ErrNotInherited, "handle is not inheritable: one of this process's own")
	}
	typ, err := objectType(h)
	if err != nil {
		return sysHandle{}, fmt.Errorf("handoff: %s %s: %w", want, value, err)
	}
	switch want {
	case kindEvent:
		if typ != "Event" {
			return fail(ErrWrongType, "handle is a %s, want an Event", typ)
		}
	case kindLifeline:
		if typ != "Process" {
			return fail(ErrWrongType, "handle is a %s, want a Process", typ)
		}
		pid, err := windows.GetProcessId(h)
		if err == windows.ERROR_ACCESS_DENIED {
			return fail(ErrWrongType, "process handle lacks PROCESS_QUERY_LIMITED_INFORMATION access")
		}
		if err != nil {
			return sysHandle{}, fmt.Errorf("handoff: %s %s: %w", want, value, os.NewSyscallError("GetProcessId", err))
		}
		if ppid := os.Getppid(); int(pid) != ppid {
			return fail(ErrParentGone, "handle names process %d, parent is %d", pid, ppid)
		}
	}
	if err := windows.SetHandleInformation(h, windows.HANDLE_FLAG_INHERIT, 0); err != nil {
		return sysHandle{}, fmt.Errorf("handoff: %s %s: %w", want, value, os.NewSyscallError("SetHandleInformation", err))
	}
	return sysHandle{h}, nil
}

// objectType returns the name of the type of the object h refers to, such as
// "Event", "Process" or "File".
func objectType(h windows.Handle) (string, error) {
	// PUBLIC_OBJECT_TYPE_INFORMATION: a UNICODE_STRING whose buffer follows
	// it, then reserved fields. 1 KiB is plenty for any type name; uint64s
	// keep the buffer aligned for the structure.
	var buf [128]uint64
	var n uint32
	if err := ntQueryObject(h, objectTypeInformation, (*byte)(unsafe.Pointer(&buf[0])), uint32(unsafe.Sizeof(buf)), &n); err != nil {
		return "", os.NewSyscallError("NtQueryObject", err)
	}
	return (*windows.NTUnicodeString)(unsafe.Pointer(&buf[0])).String(), nil
}
