package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff/handoff/internal/exitcode"
	"golang.org/x/sys/unix"
)

// inherited returns a descriptor that looks inherited to the child code
// running in this process: not close-on-exec.
func inherited(t *testing.T, fd int, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(fd)
}

// TestSignaled runs the child in this process on an eventfd that is already
// set and a pidfd of this process's parent.
func TestSignaled(t *testing.T) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	ev := inherited(t, efd, err)
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	if _, err := unix.Write(efd, one[:]); err != nil {
		t.Fatal(err)
	}
	pfd, err := unix.PidfdOpen(os.Getppid(), 0)
	parent := inherited(t, pfd, err)

	var stdout bytes.Buffer
	if err := run([]string{"-event", ev, "-parent", parent}, &stdout, new(bytes.Buffer)); err != nil {
		t.Fatalf("run = %v\n%s", err, stdout.String())
	}
	want := []string{
		"[CHILD] pid " + strconv.Itoa(os.Getpid()) + ": got event handle " + ev + ", lifeline handle " + parent,
		"[CHILD] verified event " + ev + ": inherited, type eventfd",
		"[CHILD] verified lifeline " + parent + ": inherited, type pidfd, parent pid " + strconv.Itoa(os.Getppid()),
		"[CHILD] waiting for the event (timeout 30s)",
		"[CHILD] Event signaled",
		"[CHILD] exiting with code 0",
	}
	if got := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("printed:\n%s\nwant:\n%s", stdout.String(), strings.Join(want, "\n"))
	}
	// Accepted descriptors are close-on-exec, for grandchildren not to get them.
	for _, fd := range []int{efd, pfd} {
		if flags, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("descriptor %d is still inheritable", fd)
		}
	}
}

// TestTimeout runs the child in this process on an eventfd nobody sets.
func TestTimeout(t *testing.T) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	ev := inherited(t, efd, err)
	var stdout bytes.Buffer
	err = run([]string{ev, "-timeout", "50ms"}, &stdout, new(bytes.Buffer))
	if exitcode.Of(err) != exitcode.Timeout || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("run = %v, want a timeout", err)
	}
	if !strings.HasSuffix(stdout.String(), "[CHILD] stopped waiting: timeout\n[CHILD] exiting with code 7\n") || strings.Contains(stdout.String(), "signaled") {
		t.Errorf("printed:\n%s", stdout.String())
	}
}

// TestWrongType gives the child a pipe as its event.
func TestWrongType(t *testing.T) {
	var p [2]int
	err := unix.Pipe2(p[:], unix.O_CLOEXEC)
	ev := inherited(t, p[0], err)
	unix.Close(p[1])
	err = run([]string{ev}, new(bytes.Buffer), new(bytes.Buffer))
	if exitcode.Of(err) != exitcode.WrongType {
		t.Fatalf("run = %v, want a wrong type", err)
	}
}
