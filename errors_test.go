package handoff

// The error texts a user reads, on every backend: "handoff:" once, the
// object named by its name, a sentence; and the sentinels that the
// protocol's exit codes are read from.

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestErrorTexts checks what a user's program prints for its mistakes.
func TestErrorTexts(t *testing.T) {
	closed, err := NewEvent()
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	start := func(name string, obj Object) error {
		cmd := exec.Command(os.Args[0], "{"+name+"}")
		cmd.Env = helperEnv("start-report")
		h := Command(cmd)
		h.Pass(name, obj)
		err := h.Start()
		if err == nil {
			h.Wait()
		}
		return err
	}
	hs, err := ParseHandles("go=event:0x7ffffff0,msg=shm:0x7ffffff4")
	if err != nil {
		t.Fatal(err)
	}
	_, notListed := hs.Event("nope")
	_, wrongKind := hs.Event("msg")
	_, notThere := hs.Event("go")
	evAsLifeline, err := ParseHandles("parent=event:0x7ffffff0")
	if err != nil {
		t.Fatal(err)
	}
	_, asLifeline := evAsLifeline.Lifeline()
	_, rune := ParseValue("٣")
	tests := []struct {
		what string
		err  error
		want string   // the whole text, or
		has  []string // parts of it
		is   []error
	}{
		{what: "a closed event passed", err: start("go", closed), want: `handoff: event "go": file already closed`, is: []error{os.ErrClosed}},
		{what: "a name not listed", err: notListed, want: `handoff: event "nope": no handle passed under that name`, is: []error{ErrNotPassed, ErrNotInherited}},
		{what: "a name listed with another kind", err: wrongKind, want: `handoff: event "msg": wrong type of object: listed as a shm`, is: []error{ErrWrongType}},
		{what: "an event listed as a lifeline", err: asLifeline, want: `handoff: lifeline "parent": wrong type of object: listed as an event`, is: []error{ErrWrongType}},
		{what: "a listed value that names nothing", err: notThere, has: []string{`handoff: name "go": event 0x7ffffff0: not an inherited handle: `}, is: []error{ErrNotInherited}},
		{what: "a value of another script", err: rune, want: `handoff: value "٣": bad handle value: invalid character '٣'`, is: []error{ErrBadValue}},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Errorf("%s: no error", tt.what)
			continue
		}
		got := tt.err.Error()
		if tt.want != "" && got != tt.want {
			t.Errorf("%s: %q, want %q", tt.what, got, tt.want)
		}
		for _, part := range tt.has {
			if !strings.Contains(got, part) {
				t.Errorf("%s: %q, want it to contain %q", tt.what, got, part)
			}
		}
		if n := strings.Count(got, "handoff:"); n != 1 {
			t.Errorf("%s: %q says handoff: %d times, want once", tt.what, got, n)
		}
		for _, s := range tt.is {
			if !errors.Is(tt.err, s) {
				t.Errorf("%s: %q does not match %v", tt.what, got, s)
			}
		}
	}
	if errors.Is(ErrNotInherited, ErrNotPassed) {
		t.Errorf("ErrNotInherited matches ErrNotPassed: a value that names nothing would read as a name not listed")
	}
}

// TestOpenFileStd: OpenFile refuses the standard handles' values on every
// backend, so that a child does not take over, and close, its own standard
// output: 1 and 2 are never handed over (on Unix they are the wrong type;
// on Windows not even handle values), and 0 is no value anywhere.
func TestOpenFileStd(t *testing.T) {
	for _, v := range []string{"0", "1", "2"} {
		want := ErrWrongType
		if runtime.GOOS == "windows" || v == "0" {
			want = ErrBadValue
		}
		f, err := OpenFile(v)
		if err == nil {
			f.Close()
		}
		if !errors.Is(err, want) {
			t.Errorf("OpenFile(%q) = %v, want an error wrapping %v", v, err, want)
		}
	}
	if _, err := os.Stdout.Stat(); err != nil {
		t.Errorf("standard output after OpenFile: %v", err)
	}
}
