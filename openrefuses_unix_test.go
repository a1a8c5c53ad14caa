//go:build unix

package handoff

// Wrong values refused by a child, on Linux and the pipe backend: one
// table, with the same meaning on both.

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerHelper("open", helperOpen)
}

// openReport is what an "open" helper reports: the error of its open, and
// how long the open took.
type openReport struct {
	Err      string  `json:",omitempty"`
	Sentinel string  `json:",omitempty"`
	Elapsed  float64 // ms
}

// helperOpen opens args[1] as args[0] ("event", "lifeline") and reports
// the error. Some values are made by the child itself: "own" is an event of
// its own, "own-inheritable" a pipe's read end of its own without
// close-on-exec, "closed" the event passed as args[2] once the child has
// closed it.
func helperOpen(args []string) {
	var r openReport
	value := args[1]
	switch value {
	case "own":
		ev, err := NewEvent()
		if err != nil {
			panic(err)
		}
		value = FormatValue(ev.Handle())
	case "own-inheritable":
		var p [2]int
		if err := unix.Pipe(p[:]); err != nil {
			panic(err)
		}
		value = strconv.Itoa(p[0])
	case "closed":
		ev, err := OpenEvent(args[2])
		if err != nil {
			panic(err)
		}
		ev.Close()
		value = args[2]
	}
	start := time.Now()
	var err error
	if args[0] == "lifeline" {
		_, err = OpenLifeline(value)
	} else {
		_, err = OpenEvent(value)
	}
	r.Elapsed = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		r.Err, r.Sentinel = err.Error(), sentinel(err)
	}
	writeReport(os.Stdout, r)
}

// TestOpenRefuses hands the child wrong values and checks it refuses
// each one with the right error, quickly.
func TestOpenRefuses(t *testing.T) {
	file, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	readEnd, writeEnd := os.NewFile(uintptr(p[0]), "r"), os.NewFile(uintptr(p[1]), "w")
	t.Cleanup(func() { readEnd.Close(); writeEnd.Close() })
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	rw, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rw.Close() })
	dgram, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	dgramFile := os.NewFile(uintptr(dgram[1]), "dgram")
	t.Cleanup(func() { unix.Close(dgram[0]); dgramFile.Close() })

	// For the value 2, the child's standard error is a pipe's read end,
	// which an event's descriptor also is: only its number tells it is not
	// one.
	stdio, stdioW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdio.Close(); stdioW.Close() })

	// The extra files come first, as 3 to 7; the event and the lifeline
	// after them.
	extra := []*os.File{file, readEnd, writeEnd, rw, dgramFile}
	tests := []struct {
		kind, value string
		want        error
	}{
		{"event", "12345", ErrNotInherited},           // unused
		{"event", "4294967292", ErrNotInherited},      // beyond any fd
		{"event", "own", ErrNotInherited},             // the child's own event
		{"event", "own-inheritable", ErrNotInherited}, // the child's own pipe without close-on-exec
		{"event", "closed", ErrNotInherited},          // the passed event, closed
		{"event", "2", ErrWrongType},                  // stderr, a pipe's read end: what an event is, but never handed over
		{"event", "1", ErrWrongType},                  // stdout, a pipe's write end
		{"event", "{parent}", ErrWrongType},           // the lifeline as the event
		{"event", "3", ErrWrongType},                  // a regular file
		{"event", "5", ErrWrongType},                  // a pipe's write end
		{"event", "6", ErrWrongType},                  // a FIFO open for reading and writing
		{"event", "7", ErrWrongType},                  // a socket
		{"lifeline", "{event}", ErrWrongType},         // the event as the lifeline
		{"lifeline", "2", ErrWrongType},               // stderr
		{"lifeline", "4", ErrWrongType},               // a pipe's read end
		{"lifeline", "7", ErrWrongType},               // a datagram socket
		{"lifeline", "12345", ErrNotInherited},        // unused
	}
	for _, tt := range tests {
		t.Run(tt.kind+"="+tt.value, func(t *testing.T) {
			ev := testEvent(t)
			h, out := helperCommand(t, "open", tt.kind, tt.value, "{event}", "{parent}")
			h.Cmd.ExtraFiles = slices.Clone(extra)
			if tt.value == "2" {
				h.Cmd.Stderr = stdio
			}
			h.Pass("event", ev)
			if err := h.Start(); err != nil {
				t.Fatalf("Start: %v", err)
			}
			if v, _ := h.Value("event"); v != uintptr(3+len(extra)) {
				t.Fatalf("event passed as %d, want %d", v, 3+len(extra))
			}
			r := readReport[openReport](t, out)
			if err := h.Wait(); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if r.Sentinel != tt.want.Error() {
				t.Errorf("child Open%s(%q) = %q, want an error wrapping %q", tt.kind, tt.value, r.Err, tt.want)
			}
			if r.Elapsed > 1000 {
				t.Errorf("child took %.1f ms to refuse %q, want < 1 s", r.Elapsed, tt.value)
			}
		})
	}
}
