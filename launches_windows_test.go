package handoff

// The fixtures of TestConcurrentLaunches on Windows: a child's inheritable
// handles by a scan, and CompareObjectHandles in this process on a
// duplicate of the child's handle for identity.

import (
	"testing"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

func init() {
	launchPlatform.std = stdHandles
	launchPlatform.handles = func() []launchHandle {
		var hs []launchHandle
		for _, hi := range inheritable(scanHandles(scanLimit)) {
			hs = append(hs, launchHandle{Value: hi.Value, Inherit: hi.Inherit, What: hi.Type})
		}
		return hs
	}
	launchPlatform.kindsOK = func(event, lifeline launchHandle) bool {
		return event.What == "Event" && lifeline.What == "Process"
	}
	launchPlatform.same = sameAsChilds
}

// sameAsChilds reports whether handle h of process pid names the object of
// ev: it duplicates h into this process and compares.
func sameAsChilds(t *testing.T, pid int, h launchHandle, ev *Event) bool {
	t.Helper()
	p, err := windows.OpenProcess(windows.PROCESS_DUP_HANDLE, false, uint32(pid))
	if err != nil {
		t.Fatalf("OpenProcess(child %d) = %v", pid, err)
	}
	defer windows.CloseHandle(p)
	var dup windows.Handle
	if err := windows.DuplicateHandle(p, windows.Handle(h.Value), windows.CurrentProcess(), &dup, 0, false, windows.DUPLICATE_SAME_ACCESS); err != nil {
		t.Errorf("DuplicateHandle(child %d's %d) = %v", pid, h.Value, err)
		return false
	}
	defer windows.CloseHandle(dup)
	return winapi.CompareObjectHandles(dup, windows.Handle(ev.Handle()))
}
