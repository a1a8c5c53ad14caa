package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/handoff/handoff/internal/exitcode"
	"golang.org/x/sys/windows"
)

var inheritable = &windows.SecurityAttributes{
	Length:        uint32(unsafe.Sizeof(windows.SecurityAttributes{})),
	InheritHandle: 1,
}

// newInheritableEvent returns an inheritable event, which the child code
// running in this process takes for an inherited one.
func newInheritableEvent(t *testing.T, set bool) string {
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
	return strconv.Itoa(int(h))
}

// TestSignaled runs the child in this process on an event that is already
// set.
func TestSignaled(t *testing.T) {
	ev := newInheritableEvent(t, true)
	var stdout bytes.Buffer
	if err := run([]string{ev}, &stdout, new(bytes.Buffer)); err != nil {
		t.Fatalf("run = %v\n%s", err, stdout.String())
	}
	want := strings.Join([]string{
		"[CHILD] pid " + strconv.Itoa(os.Getpid()) + ": got event handle " + ev + ", no lifeline",
		"[CHILD] verified event " + ev + ": inherited, type Event",
		"[CHILD] waiting for the event (timeout 30s)",
		"[CHILD] Event signaled",
		"[CHILD] exiting with code 0",
	}, "\n") + "\n"
	if stdout.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", stdout.String(), want)
	}
}

// TestTimeout runs the child in this process on an event nobody sets.
func TestTimeout(t *testing.T) {
	ev := newInheritableEvent(t, false)
	var stdout bytes.Buffer
	err := run([]string{ev, "-timeout", "50ms"}, &stdout, new(bytes.Buffer))
	if exitcode.Of(err) != exitcode.Timeout {
		t.Fatalf("run = %v, want a timeout", err)
	}
	if !strings.HasSuffix(stdout.String(), "[CHILD] stopped waiting: timeout\n[CHILD] exiting with code 7\n") {
		t.Errorf("printed:\n%s", stdout.String())
	}
}

// TestWrongType gives the child an inheritable process handle as its event,
// and the event as its lifeline.
func TestWrongType(t *testing.T) {
	self := windows.CurrentProcess()
	var p windows.Handle
	if err := windows.DuplicateHandle(self, self, self, &p, windows.SYNCHRONIZE, true, 0); err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(p)
	err := run([]string{strconv.Itoa(int(p))}, new(bytes.Buffer), new(bytes.Buffer))
	if exitcode.Of(err) != exitcode.WrongType {
		t.Errorf("process handle as the event: run = %v, want a wrong type", err)
	}
	// Two events: the child makes the first one non-inheritable.
	err = run([]string{newInheritableEvent(t, true), "-parent", newInheritableEvent(t, true)}, new(bytes.Buffer), new(bytes.Buffer))
	if exitcode.Of(err) != exitcode.WrongType {
		t.Errorf("event as the lifeline: run = %v, want a wrong type", err)
	}
}
