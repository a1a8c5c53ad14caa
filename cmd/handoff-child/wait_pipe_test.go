//go:build (unix && !linux) || (linux && handoff_pipe)

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/handoff/handoff"
	"golang.org/x/sys/unix"
)

// The fixtures of wait_test.go on the pipe backend (macOS, the BSDs; Linux
// with -tags handoff_pipe): an event is a pipe's read end, whose write end
// stays here; a lifeline one end of a Unix socket pair, whose other end
// stays here.

const wantEventType, wantLifelineType = "pipe", "socket"

// pipeFiles returns a pipe's read and write ends, closed at the end of the
// test.
func pipeFiles(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// newEvent returns a pipe's read end, holding a byte if set.
func newEvent(t *testing.T, set bool) object {
	t.Helper()
	r, w := pipeFiles(t)
	if set {
		if _, err := w.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// newLifeline returns one end of a Unix socket pair whose peer is this
// process.
func newLifeline(t *testing.T) object {
	t.Helper()
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	fdFile(t, pair[0], nil)
	return fdFile(t, pair[1], nil)
}

// notEvents returns a pipe's write end, a FIFO open for reading and writing
// (a semaphore), a socket and a regular file.
func notEvents(t *testing.T) []decoy {
	t.Helper()
	_, w := pipeFiles(t)
	fifo, fd := filepath.Join(t.TempDir(), "fifo"), -1
	err := unix.Mkfifo(fifo, 0o600)
	if err == nil {
		fd, err = unix.Open(fifo, unix.O_RDWR|unix.O_CLOEXEC, 0)
	}
	rw := fdFile(t, fd, err)
	file, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	return []decoy{{"the write end of a pipe", w}, {"a FIFO open for reading and writing", rw}, {"a socket", newLifeline(t)}, {"a regular file", file}}
}

func notLifelines(t *testing.T) []decoy {
	t.Helper()
	return []decoy{{"the read end of a pipe", newEvent(t, true)}}
}

// TestWriterGone runs the child on a pipe whose only write end is closed:
// nobody can set the event any more, and the child says its parent is gone
// instead of waiting, even without a lifeline.
func TestWriterGone(t *testing.T) {
	r, w := pipeFiles(t)
	w.Close()
	var in inheritance
	stdout, code := in.run(t, in.pass(r), "-timeout", "10s")
	if code != handoff.ExitParentGone {
		t.Fatalf("child exited %d, want %d (parent gone)\n%s", code, handoff.ExitParentGone, stdout)
	}
}
