//go:build (unix && !linux) || (linux && handoff_pipe)

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff/handoff/internal/exitcode"
	"golang.org/x/sys/unix"
)

// The child on the pipe backend (macOS, the BSDs; Linux with -tags
// handoff_pipe), given descriptors made here by hand: an event is a pipe's
// read end, the lifeline one end of a Unix socket pair made by the parent.

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

// TestSignaled runs the child on a pipe that holds a byte and a socket
// whose peer is its parent, this process.
func TestSignaled(t *testing.T) {
	r, w := pipeFiles(t)
	if _, err := w.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pair[0])
	life := os.NewFile(uintptr(pair[1]), "lifeline")
	defer life.Close()

	stdout, code := runChild(t, []*os.File{r, life}, "-event", "3", "-parent", "4")
	if code != 0 {
		t.Fatalf("child exited %d, want 0\n%s", code, stdout)
	}
	checkSteps(t, stdout, ": got event handle 3, lifeline handle 4", []string{
		"[CHILD] verified event 3: inherited, type pipe",
		"[CHILD] verified lifeline 4: inherited, type socket, parent pid " + strconv.Itoa(os.Getpid()),
		"[CHILD] waiting for the event (timeout 30s)",
		"[CHILD] Event signaled",
		"[CHILD] exiting with code 0",
	})
}

// TestTimeout runs the child on a pipe nobody writes to.
func TestTimeout(t *testing.T) {
	r, _ := pipeFiles(t)
	stdout, code := runChild(t, []*os.File{r}, "3", "-timeout", "50ms")
	if code != exitcode.Timeout {
		t.Fatalf("child exited %d, want %d (timeout)\n%s", code, exitcode.Timeout, stdout)
	}
	if !strings.HasSuffix(stdout, "[CHILD] stopped waiting: timeout\n[CHILD] exiting with code 7\n") || strings.Contains(stdout, "signaled") {
		t.Errorf("printed:\n%s", stdout)
	}
}

// TestWriterGone runs the child on a pipe whose only write end is closed:
// nobody can set the event any more, and the child says its parent is gone
// instead of waiting, even without a lifeline.
func TestWriterGone(t *testing.T) {
	r, w := pipeFiles(t)
	w.Close()
	stdout, code := runChild(t, []*os.File{r}, "3", "-timeout", "10s")
	if code != exitcode.ParentGone {
		t.Fatalf("child exited %d, want %d (parent gone)\n%s", code, exitcode.ParentGone, stdout)
	}
}

// TestWrongType gives the child what is not an event: a pipe's write end, a
// FIFO open for reading and writing (a semaphore), a socket, a regular file.
func TestWrongType(t *testing.T) {
	_, w := pipeFiles(t)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	rw, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pair[0])
	sock := os.NewFile(uintptr(pair[1]), "socket")
	defer sock.Close()
	file, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, f := range []*os.File{w, rw, sock, file} {
		stdout, code := runChild(t, []*os.File{f}, "3")
		if code != exitcode.WrongType {
			t.Errorf("child given %s as its event exited %d, want %d (wrong type)\n%s", f.Name(), code, exitcode.WrongType, stdout)
		}
	}
}
