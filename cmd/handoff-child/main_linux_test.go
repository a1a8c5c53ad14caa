//go:build linux && !handoff_pipe

package main

import (
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff/handoff/internal/exitcode"
	"golang.org/x/sys/unix"
)

// fdFile wraps a descriptor for ExtraFiles, closed at the end of the test.
func fdFile(t *testing.T, fd int, err error) *os.File {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "fd")
	t.Cleanup(func() { f.Close() })
	return f
}

// TestSignaled runs the child on an eventfd that is already set and a pidfd
// of its parent, this process.
func TestSignaled(t *testing.T) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	ev := fdFile(t, efd, err)
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	if _, err := unix.Write(efd, one[:]); err != nil {
		t.Fatal(err)
	}
	pfd, err := unix.PidfdOpen(os.Getpid(), 0)
	parent := fdFile(t, pfd, err)

	stdout, code := runChild(t, []*os.File{ev, parent}, "-event", "3", "-parent", "4")
	if code != 0 {
		t.Fatalf("child exited %d, want 0\n%s", code, stdout)
	}
	checkSteps(t, stdout, ": got event handle 3, lifeline handle 4", []string{
		"[CHILD] verified event 3: inherited, type eventfd",
		"[CHILD] verified lifeline 4: inherited, type pidfd, parent pid " + strconv.Itoa(os.Getpid()),
		"[CHILD] waiting for the event (timeout 30s)",
		"[CHILD] Event signaled",
		"[CHILD] exiting with code 0",
	})
}

// TestTimeout runs the child on an eventfd nobody sets.
func TestTimeout(t *testing.T) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	ev := fdFile(t, efd, err)
	stdout, code := runChild(t, []*os.File{ev}, "3", "-timeout", "50ms")
	if code != exitcode.Timeout {
		t.Fatalf("child exited %d, want %d (timeout)\n%s", code, exitcode.Timeout, stdout)
	}
	if !strings.HasSuffix(stdout, "[CHILD] stopped waiting: timeout\n[CHILD] exiting with code 7\n") || strings.Contains(stdout, "signaled") {
		t.Errorf("printed:\n%s", stdout)
	}
}

// TestWrongType gives the child a pipe as its event.
func TestWrongType(t *testing.T) {
	var p [2]int
	err := unix.Pipe2(p[:], unix.O_CLOEXEC)
	r := fdFile(t, p[0], err)
	unix.Close(p[1])
	stdout, code := runChild(t, []*os.File{r}, "3")
	if code != exitcode.WrongType {
		t.Fatalf("child exited %d, want %d (wrong type)\n%s", code, exitcode.WrongType, stdout)
	}
}
