package handoff

// The fixtures of TestOpenRefuses on Windows: the child's own event (also
// made inheritable) and process, its standard input, the event in hexadecimal, and what the
// child's handle table says of each value.

import (
	"fmt"
	"os/exec"
	"testing"

	"golang.org/x/sys/windows"
)

func init() {
	openPlatform.unused = "49380" // 12345*4
	openPlatform.rows = []openRow{
		openRowOf("own process as lifeline", "lifeline", "<own-process>", ErrParentGone),
		openRowOf("event in hex", "event", "<event-hex>", nil),
		// What Windows checks is the inherit flag, not a record of what the
		// process inherited (docs/protocol.md): an event of the child's own
		// that its code made inheritable passes, as no Linux descriptor
		// would.
		openRowOf("own event made inheritable", "event", "<own-inheritable>", nil),
	}
	openPlatform.prepare = func(*testing.T, *exec.Cmd, openRow) func(*testing.T, *Handoff) {
		return func(*testing.T, *Handoff) {}
	}
	openPlatform.value = openWindowsValue
	openPlatform.state = func(value string) openState {
		v, err := ParseValue(value)
		if err != nil {
			return openState{}
		}
		hi := probe(v)
		return openState{Valid: hi.Valid, Inherit: hi.Inherit, Type: hi.Type}
	}
	openPlatform.check = openWindowsCheck
}

// openWindowsValue makes, in the child, the values of the words: <own> an
// event of its own, <own-inheritable> one made inheritable, <own-process> an inheritable handle to itself, <std>
// its standard input, <event-hex> the event's value in hexadecimal.
func openWindowsValue(word, event, _ string) (string, bool) {
	switch word {
	case "<own>":
		own, err := windows.CreateEvent(nil, 1, 0, nil)
		if err != nil {
			helperFatal("CreateEvent: %v", err)
		}
		return FormatValue(uintptr(own)), true
	case "<own-inheritable>":
		own, err := windows.CreateEvent(nil, 1, 0, nil)
		if err != nil {
			helperFatal("CreateEvent: %v", err)
		}
		if err := windows.SetHandleInformation(own, windows.HANDLE_FLAG_INHERIT, windows.HANDLE_FLAG_INHERIT); err != nil {
			helperFatal("SetHandleInformation: %v", err)
		}
		return FormatValue(uintptr(own)), true
	case "<own-process>":
		var self windows.Handle
		if err := windows.DuplicateHandle(windows.CurrentProcess(), windows.CurrentProcess(), windows.CurrentProcess(), &self, windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, true, 0); err != nil {
			helperFatal("DuplicateHandle: %v", err)
		}
		return FormatValue(uintptr(self)), true
	case "<std>":
		return FormatValue(stdHandles()[0]), true
	case "<event-hex>":
		v, err := ParseValue(event)
		if err != nil {
			helperFatal("%v", err)
		}
		return fmt.Sprintf("0x%X", v), true
	}
	return "", false
}

// openWindowsCheck checks what the child's handle table said of a value:
// an unused value is refused for ERROR_INVALID_HANDLE, the own event is an
// Event, the event and lifeline passed are inheritable until opened; a
// standard input that is not inheritable is refused as not inherited.
func openWindowsCheck(t *testing.T, s openStep, r openReport) error {
	t.Helper()
	switch s.value {
	case openPlatform.unused:
		if r.Errno != uint32(windows.ERROR_INVALID_HANDLE) {
			t.Errorf("Open %s(%q) = %s, want it to wrap ERROR_INVALID_HANDLE", s.kind, r.Value, r.Err)
		}
	case "<own>":
		if r.Before.Type != "Event" {
			t.Fatalf("child's own event %s: %+v, want an Event", r.Value, r.Before)
		}
	case "<std>":
		t.Logf("child's stdin %+v", r.Before)
		if !r.Before.Inherit {
			return ErrNotInherited
		}
	case "<parent>", "<event>":
		if !r.Before.Inherit && s.want != ErrNotInherited {
			t.Fatalf("%s %s is not inheritable in the child: %+v", s.kind, r.Value, r.Before)
		}
	}
	return s.want
}
