package handoff

import (
	"fmt"
	"os"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

// objectTypes are the object types, as NtQueryObject names them, that each
// kind must have, with the article an error puts before the name.
var objectTypes = [...]struct{ article, name string }{
	kindEvent:     {"an", "Event"},
	kindReady:     {"an", "Event"},
	kindSemaphore: {"a", "Semaphore"},
	kindMemory:    {"a", "Section"},
	kindFile:      {"a", "File"},
	kindLifeline:  {"a", "Process"},
}

// objectID is what claim compares: a handle, which CompareObjectHandles
// tells the object of.
type objectID = windows.Handle

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
	if err := winapi.GetHandleInformation(h, &flags); err != nil {
		return sysHandle{}, fmt.Errorf("handoff: %s %s: %w: no such handle: %w", want, value, ErrNotInherited, os.NewSyscallError("GetHandleInformation", err))
	}
	if flags&windows.HANDLE_FLAG_INHERIT == 0 {
		return fail(ErrNotInherited, "handle is not inheritable: one of this process's own")
	}
	typ, err := winapi.ObjectType(h)
	if err != nil {
		return sysHandle{}, fmt.Errorf("handoff: %s %s: %w", want, value, err)
	}
	if wantType := objectTypes[want]; typ != wantType.name {
		return fail(ErrWrongType, "handle is %s %s, want %s %s", article(typ), typ, wantType.article, wantType.name)
	}
	if want == kindLifeline {
		pid, err := windows.GetProcessId(h)
		if err == windows.ERROR_ACCESS_DENIED {
			return fail(ErrWrongType, "process handle lacks PROCESS_QUERY_LIMITED_INFORMATION access")
		}
		if err != nil {
			return sysHandle{}, fmt.Errorf("handoff: %s %s: %w", want, value, os.NewSyscallError("GetProcessId", err))
		}
		ppid, err := winapi.ParentProcessID()
		if err != nil {
			return sysHandle{}, fmt.Errorf("handoff: %s %s: %w", want, value, err)
		}
		if int(pid) != ppid {
			return fail(ErrParentGone, "handle names process %d, parent is %d", pid, ppid)
		}
	}
	if err := claim(fmt.Sprintf("%s %s", want, value), FormatValue(v), h, winapi.CompareObjectHandles); err != nil {
		return fail(ErrNotInherited, "%v", err)
	}
	if err := windows.SetHandleInformation(h, windows.HANDLE_FLAG_INHERIT, 0); err != nil {
		return sysHandle{}, fmt.Errorf("handoff: %s %s: %w", want, value, os.NewSyscallError("SetHandleInformation", err))
	}
	return sysHandle{h}, nil
}
