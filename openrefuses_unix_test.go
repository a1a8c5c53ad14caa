//go:build unix

package handoff

// The fixtures of TestOpenRefuses on Linux and the pipe backend: extra
// descriptors 3 to 7 of every kind an event or a lifeline is not, and the
// child's own event, pipe and closed event.

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	openPlatform.unused = "12345"
	openPlatform.rows = []openRow{
		openRowOf("own inheritable pipe", "event", "<own-inheritable>", ErrNotInherited), // the child's own pipe without close-on-exec
		openRowOf("closed event", "event", "<closed>", ErrNotInherited),                  // the passed event, closed
		openRowOf("own event without close-on-exec", "event", "<own-inheritable-event>", ErrNotInherited),
		openRowOf("inherited number reused", "event", "<reused>", ErrNotInherited),
		openRowOf("stdout", "event", "1", ErrWrongType), // a pipe's write end
		openRowOf("regular file", "event", "3", ErrWrongType),
		openRowOf("pipe write end", "event", "5", ErrWrongType),
		openRowOf("fifo", "event", "6", ErrWrongType), // open for reading and writing
		openRowOf("socket", "event", "7", ErrWrongType),
		openRowOf("pipe read end as lifeline", "lifeline", "4", ErrWrongType),
		openRowOf("datagram socket as lifeline", "lifeline", "7", ErrWrongType),
	}
	openPlatform.prepare = openUnixPrepare
	openPlatform.value = openUnixValue
	openPlatform.state = func(value string) openState {
		fd, err := strconv.Atoi(value)
		if err != nil {
			return openState{}
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		return openState{Valid: err == nil, Inherit: err == nil && flags&unix.FD_CLOEXEC == 0}
	}
	openPlatform.check = func(_ *testing.T, s openStep, _ openReport) error { return s.want }
}

// openUnixPrepare gives the child the extra descriptors 3 to 7 (a regular
// file, a pipe's read and write ends, a FIFO, a datagram socket), the event
// after them, and for <std> a standard error that is a pipe's read end,
// which an event's descriptor also is: only its number tells it is not one.
func openUnixPrepare(t *testing.T, cmd *exec.Cmd, row openRow) func(*testing.T, *Handoff) {
	file, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	readEnd, writeEnd := pipe(t)
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
	extra := []*os.File{file, readEnd, writeEnd, rw, dgramFile}
	cmd.ExtraFiles = slices.Clone(extra)
	if slices.ContainsFunc(row.steps, func(s openStep) bool { return s.value == "<std>" }) {
		stdio, _ := pipe(t)
		cmd.Stderr = stdio
	}
	return func(t *testing.T, h *Handoff) {
		if v, _ := h.Value("event"); v != uintptr(3+len(extra)) {
			t.Fatalf("event passed as %d, want %d", v, 3+len(extra))
		}
	}
}

// openUnixValue makes, in the child, the values of the words: <own> an
// event of its own, <own-inheritable> a pipe's read end of its own without
// close-on-exec, <closed> the event once the child has closed it, <std>
// its standard error.
func openUnixValue(word, event, _ string) (string, bool) {
	switch word {
	case "<own>":
		ev, err := NewEvent()
		if err != nil {
			panic(err)
		}
		return FormatValue(ev.Handle()), true
	case "<own-inheritable>":
		var p [2]int
		if err := unix.Pipe(p[:]); err != nil {
			panic(err)
		}
		return strconv.Itoa(p[0]), true
	case "<own-inheritable-event>":
		// An event of the child's own, of the right type, at a number
		// that was free when the package was initialized, without
		// close-on-exec: only the record made then tells it is not
		// inherited.
		ev, err := NewEvent()
		if err != nil {
			panic(err)
		}
		if _, err := unix.FcntlInt(ev.Handle(), unix.F_SETFD, 0); err != nil {
			panic(err)
		}
		return FormatValue(ev.Handle()), true
	case "<reused>":
		// The inherited event's number, closed and given to an event of
		// the child's own, without close-on-exec: only the identity
		// recorded at init tells them apart.
		fd, _ := strconv.Atoi(event)
		ev, err := NewEvent()
		if err != nil {
			panic(err)
		}
		if err := unix.Dup2(int(ev.Handle()), fd); err != nil {
			panic(err)
		}
		return event, true
	case "<closed>":
		ev, err := OpenEvent(event)
		if err != nil {
			panic(err)
		}
		ev.Close()
		return event, true
	case "<std>":
		return "2", true
	}
	return "", false
}

// pipe returns an os.Pipe, closed at the end of the test.
func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}
