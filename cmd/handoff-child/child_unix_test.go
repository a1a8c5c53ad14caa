//go:build unix

package main

import (
	"math"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// object is what a child inherits here: a descriptor.
type object = *os.File

// inheritance lists the descriptors a child is to inherit, which it gets as
// 3, 4, ... in the order passed.
type inheritance struct{ files []*os.File }

// pass adds f and returns its value in the child.
func (in *inheritance) pass(f *os.File) string {
	in.files = append(in.files, f)
	return strconv.Itoa(2 + len(in.files))
}

// run runs the test binary as handoff-child with args, passing it the
// descriptors, and returns its output and exit code.
func (in *inheritance) run(t *testing.T, args ...string) (stdout string, code int) {
	t.Helper()
	cmd := childCommand(args...)
	cmd.ExtraFiles = in.files
	return runCommand(t, cmd)
}

// fdFile wraps descriptor fd, made by a call that returned err, closed at
// the end of the test.
func fdFile(t *testing.T, fd int, err error) *os.File {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "fd "+strconv.Itoa(fd))
	t.Cleanup(func() { f.Close() })
	return f
}

// mayBeInherited reports whether v names a descriptor that this process may
// have inherited: any that is open. The flag does not tell: the record that
// the package makes at init marks what the process inherited close-on-exec
// (a fuzzing worker inherits its coordinator's pipes).
func mayBeInherited(v uint64) bool {
	if v > math.MaxInt32 {
		return false
	}
	_, err := unix.FcntlInt(uintptr(v), unix.F_GETFD, 0)
	return err == nil
}
