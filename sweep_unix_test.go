//go:build unix

package handoff

// Start's close-on-exec sweep, on Linux and the pipe backend.

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerHelper("hold", func([]string) { time.Sleep(time.Minute) })
}

// TestStartSweep: Start marks every descriptor of the parent from 3 up
// close-on-exec, a high one too, so that a descriptor the parent left
// inheritable does not reach the child: a pipe made without close-on-exec,
// and a duplicate of it at 1000. On Linux the child's descriptors are
// compared with the pipe's by identity (the pipe's inode in
// /proc/<pid>/fd).
func TestStartSweep(t *testing.T) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	high, err := unix.FcntlInt(uintptr(p[0]), unix.F_DUPFD, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(high)
	leaks := []int{p[0], p[1], high}
	for _, fd := range leaks {
		if cloexecFlag(fd) {
			t.Fatalf("descriptor %d is close-on-exec before Start: the test proves nothing", fd)
		}
	}

	cmd := exec.Command(os.Args[0], "{event}")
	cmd.Env = helperEnv("hold")
	h := Command(cmd)
	h.Pass("event", testEvent(t))
	if err := h.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer func() {
		cmd.Process.Kill()
		h.Wait()
	}()
	for _, fd := range leaks {
		if !cloexecFlag(fd) {
			t.Errorf("parent's descriptor %d is not close-on-exec after Start", fd)
		}
	}
	if runtime.GOOS != "linux" {
		return
	}
	pipe, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", p[0]))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", cmd.Process.Pid, e.Name()))
		names = append(names, e.Name()+" "+target)
		if target == pipe {
			t.Errorf("child holds the parent's pipe %s at %s", pipe, e.Name())
		}
	}
	if slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == "1000" }) {
		t.Errorf("child holds descriptor 1000: %q", names)
	}
}

// cloexecFlag reports whether fd is open and close-on-exec.
func cloexecFlag(fd int) bool {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil && flags&unix.FD_CLOEXEC != 0
}
