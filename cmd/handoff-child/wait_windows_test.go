package main

import (
	"testing"

	"golang.org/x/sys/windows"
)

// The fixtures of wait_test.go on Windows: an event is an Event, a lifeline
// a handle on this process; both inheritable.

const wantEventType, wantLifelineType = "Event", "Process"

// newEvent returns an inheritable event, set if set.
func newEvent(t *testing.T, set bool) object {
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

// newLifeline returns an inheritable handle on this process, with the
// access a lifeline needs.
func newLifeline(t *testing.T) object {
	t.Helper()
	self := windows.CurrentProcess()
	var h windows.Handle
	if err := windows.DuplicateHandle(self, self, self, &h, windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, true, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { windows.CloseHandle(h) })
	return h
}

func notEvents(t *testing.T) []decoy {
	t.Helper()
	return []decoy{{"a process handle", newLifeline(t)}}
}

func notLifelines(t *testing.T) []decoy {
	t.Helper()
	return []decoy{{"an event", newEvent(t, true)}}
}
