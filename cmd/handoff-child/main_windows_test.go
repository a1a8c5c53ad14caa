package main

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/handoff/handoff/internal/exitcode"
	"golang.org/x/sys/windows"
)

var inheritable = &windows.SecurityAttributes{
	Length:        uint32(unsafe.Sizeof(windows.SecurityAttributes{})),
	InheritHandle: 1,
}

// newInheritableEvent returns an inheritable event, closed at the end of the
// test.
func newInheritableEvent(t *testing.T, set bool) windows.Handle {
	t.Helper()
	h, err := windows.CreateEvent(inheritable, 1, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { windows.CloseHandle(h) })
	if set {
		if err := windows.SetEvent(h); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// runChild runs the test binary as handoff-child with args, letting it
// inherit handles (which must be inheritable), and returns its output and
// exit code.
func runChild(t *testing.T, handles []windows.Handle, args ...string) (stdout string, code int) {
	t.Helper()
	cmd := childCommand(args...)
	cmd.SysProcAttr = new(syscall.SysProcAttr)
	for _, h := range handles {
		cmd.SysProcAttr.AdditionalInheritedHandles = append(cmd.SysProcAttr.AdditionalInheritedHandles, syscall.Handle(h))
	}
	return runCommand(t, cmd)
}

func value(h windows.Handle) string { return strconv.Itoa(int(h)) }

// TestSignaled runs the child on an event that is already set.
func TestSignaled(t *testing.T) {
	h := newInheritableEvent(t, true)
	ev := value(h)
	stdout, code := runChild(t, []windows.Handle{h}, ev)
	if code != 0 {
		t.Fatalf("child exited %d, want 0\n%s", code, stdout)
	}
	checkSteps(t, stdout, ": got event handle "+ev+", no lifeline", []string{
		"[CHILD] verified event " + ev + ": inherited, type Event",
		"[CHILD] waiting for the event (timeout 30s)",
		"[CHILD] Event signaled",
		"[CHILD] exiting with code 0",
	})
}

// TestTimeout runs the child on an event nobody sets.
func TestTimeout(t *testing.T) {
	h := newInheritableEvent(t, false)
	stdout, code := runChild(t, []windows.Handle{h}, value(h), "-timeout", "50ms")
	if code != exitcode.Timeout {
		t.Fatalf("child exited %d, want %d (timeout)\n%s", code, exitcode.Timeout, stdout)
	}
	if !strings.HasSuffix(stdout, "[CHILD] stopped waiting: timeout\n[CHILD] exiting with code 7\n") {
		t.Errorf("printed:\n%s", stdout)
	}
}

// TestWrongType gives the child an inherited process handle as its event,
// and an event as its lifeline.
func TestWrongType(t *testing.T) {
	self := windows.CurrentProcess()
	var p windows.Handle
	if err := windows.DuplicateHandle(self, self, self, &p, windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, true, 0); err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(p)
	if stdout, code := runChild(t, []windows.Handle{p}, value(p)); code != exitcode.WrongType {
		t.Errorf("process handle as the event: child exited %d, want %d (wrong type)\n%s", code, exitcode.WrongType, stdout)
	}
	ev, notParent := newInheritableEvent(t, true), newInheritableEvent(t, true)
	if stdout, code := runChild(t, []windows.Handle{ev, notParent}, value(ev), "-parent", value(notParent)); code != exitcode.WrongType {
		t.Errorf("event as the lifeline: child exited %d, want %d (wrong type)\n%s", code, exitcode.WrongType, stdout)
	}
}
