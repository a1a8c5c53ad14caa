//go:build linux && !handoff_pipe

package handoff

// The whole handoff on Linux (eventfd, pidfd): what the child saw and what
// the parent holds after Start; the Linux fixtures of the parent's-end tests.

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerHelper("child", helperChild)
	parentEnd.modes = []string{"lifeline"}
	parentEnd.deathSignal = true
	parentEnd.lifelineAlone = func(cmd *exec.Cmd, _ *Event) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGWINCH}
	}
	parentEnd.watch = func(t *testing.T, what string, pid int) procWatch {
		t.Helper()
		w := unixWatch(t, what, pid)
		pidfd, err := pidfdOpen(t, pid)
		if err != nil {
			t.Fatal(err)
		}
		w.wait = func(limit time.Duration) (int64, bool) { return waitGone(pidfd, limit) }
		return w
	}
}

// report is what a helper child observed, written as one JSON line.
type report struct {
	Pid       int      `json:"pid"`
	Event     int      `json:"event"`
	Lifeline  int      `json:"lifeline"`
	EventType string   `json:"event_type"`
	CloexecIn bool     `json:"cloexec_in"`  // not inherited, at exec (see inheritedAtExec)
	MarkedIn  bool     `json:"marked_in"`   // close-on-exec before OpenEvent, from the record
	CloexecOK bool     `json:"cloexec_out"` // after OpenEvent
	Inherited []string `json:"inherited"`   // every descriptor inherited at exec
	Err       string   `json:"err,omitempty"`
	Sentinel  string   `json:"sentinel,omitempty"`
	Elapsed   float64  `json:"elapsed_ms"`
	Woke      string   `json:"woke,omitempty"`
}

// inheritedFDs lists the descriptors this process got at exec, open and not
// close-on-exec (see inheritedAtExec), with what /proc says they are.
func inheritedFDs() []string {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	var out []string
	for _, name := range names {
		fd, _ := strconv.Atoi(name)
		if !inheritedAtExec(fd) {
			continue
		}
		target, _ := os.Readlink("/proc/self/fd/" + name)
		out = append(out, fmt.Sprintf("%d %s", fd, target))
	}
	slices.SortFunc(out, func(a, b string) int {
		x, _ := strconv.Atoi(strings.Fields(a)[0])
		y, _ := strconv.Atoi(strings.Fields(b)[0])
		return x - y
	})
	return out
}

// pidfdPid returns the pid that a pidfd refers to, from its fdinfo: -1 if
// that process has exited.
func pidfdPid(fd int) (int, error) {
	info, err := readFdinfo(fd)
	if err != nil {
		return 0, err
	}
	if info.pid == "" {
		return 0, fmt.Errorf("no Pid in /proc/self/fdinfo/%d", fd)
	}
	return strconv.Atoi(info.pid)
}

// isPidfdOf reports whether fd is a pidfd of process pid.
func isPidfdOf(fd, pid int) bool {
	p, err := pidfdPid(fd)
	return err == nil && p == pid
}

// helperChild is a well-behaved child: it opens the event and the lifeline
// named by its arguments, reports what it saw, and waits for the event.
func helperChild(args []string) {
	var r report
	r.Pid = os.Getpid()
	r.Inherited = inheritedFDs()
	r.Event, _ = strconv.Atoi(args[0])
	r.Lifeline, _ = strconv.Atoi(args[1])
	r.CloexecIn, r.MarkedIn = !inheritedAtExec(r.Event), cloexecFlag(r.Event)
	r.EventType, _ = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", r.Event))
	ev, err := OpenEvent(args[0])
	if err != nil {
		r.Err, r.Sentinel = err.Error(), sentinel(err)
		writeReport(os.Stdout, r)
		os.Exit(1)
	}
	r.CloexecOK = cloexecFlag(r.Event)
	parent, err := OpenLifeline(args[1])
	if err != nil {
		r.Err, r.Sentinel = err.Error(), sentinel(err)
		writeReport(os.Stdout, r)
		os.Exit(1)
	}
	writeReport(os.Stdout, r)
	r.Woke, err = wokeBy(ev, parent)
	writeReport(os.Stdout, r)
	ev.Close()
	parent.Close()
	if err != nil {
		os.Exit(1)
	}
}

// kcmpFile reports whether fd1 in process pid1 and fd2 in pid2 are the same
// open file description (kcmpSame), failing t if kcmp fails.
func kcmpFile(t *testing.T, pid1, fd1, pid2, fd2 int) bool {
	t.Helper()
	same, err := kcmpSame(pid1, fd1, pid2, fd2)
	if err != nil {
		t.Fatal(err)
	}
	return same
}

// openFDs returns the numbers of this process's open descriptors.
func openFDs(t *testing.T) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	fds := make(map[string]bool)
	for _, e := range entries {
		fds[e.Name()] = true
	}
	return fds
}

// TestHandoff runs the whole lesson and checks what the child saw: the
// parent's own eventfd, inherited, verified and then made close-on-exec, a
// pidfd of the parent, and no other descriptor but stdio.
func TestHandoff(t *testing.T) {
	ev := testEvent(t)
	other := testEvent(t)
	// A decoy the parent could leak: an eventfd without close-on-exec that
	// is not passed, as a library of the program's might make.
	decoy, err := unix.Eventfd(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(decoy) })

	h, out := helperCommand(t, "child", "{event}", "{parent}")
	h.Pass("event", ev)
	before := openFDs(t)
	if err := h.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	for fd := range openFDs(t) {
		// os/exec keeps a pidfd of the child it started in cmd.Process.
		if n, _ := strconv.Atoi(fd); !before[fd] && !isPidfdOf(n, h.Cmd.Process.Pid) {
			target, _ := os.Readlink("/proc/self/fd/" + fd)
			t.Errorf("parent has descriptor %s (%s) after Start that it did not have before", fd, target)
		}
	}
	if !cloexecFlag(int(ev.Handle())) {
		t.Errorf("parent's event fd %d is not close-on-exec after Start", ev.Handle())
	}
	r := readReport[report](t, out)
	if r.Err != "" {
		t.Fatalf("child: %s", r.Err)
	}
	checkPassedValues(t, h, r.Event, r.Lifeline)
	if r.EventType != "anon_inode:[eventfd]" || r.CloexecIn || !r.CloexecOK {
		t.Errorf("child saw event fd as %q, close-on-exec at exec %v after Open %v; want eventfd, false, true", r.EventType, r.CloexecIn, r.CloexecOK)
	}
	if !r.MarkedIn {
		t.Errorf("child's event fd was not close-on-exec before OpenEvent: the record at init did not mark it, so a child the child starts would inherit it")
	}
	if !kcmpFile(t, os.Getpid(), int(ev.Handle()), r.Pid, r.Event) {
		t.Errorf("child's fd %d is not the parent's event", r.Event)
	}
	if kcmpFile(t, os.Getpid(), int(other.Handle()), r.Pid, r.Event) {
		t.Errorf("kcmp says the child's fd is also another event: identity check proves nothing")
	}
	want := []string{"0 /dev/null", "1 pipe:", "2 ", fmt.Sprintf("%d anon_inode:[eventfd]", r.Event), fmt.Sprintf("%d ", r.Lifeline)}
	if len(r.Inherited) != len(want) {
		t.Fatalf("child inherited %q, want stdio, the event and the lifeline only", r.Inherited)
	}
	for i, w := range want {
		if !strings.HasPrefix(r.Inherited[i], w) {
			t.Errorf("child inherited %q, want %q at %d", r.Inherited, w, i)
		}
	}
	if err := ev.Set(); err != nil {
		t.Fatal(err)
	}
	r = readReport[report](t, out)
	if r.Woke != "signaled" {
		t.Errorf("child woke with %q, want signaled", r.Woke)
	}
	if err := h.Wait(); err != nil {
		t.Errorf("Wait: %v", err)
	}
}

// releasePastMax checks, on a semaphore at 0, what Release promises on
// Linux: the count grows past MaxSemaphore (the eventfd's counter, read in
// fdinfo, says so), up to 2^64-2, and a release past that is an error that
// adds nothing.
func releasePastMax(t *testing.T, sem *Semaphore) {
	t.Helper()
	for _, n := range []int{MaxSemaphore, 1} {
		if err := sem.Release(n); err != nil {
			t.Fatalf("Release(%d) = %v, want nil: the count may exceed MaxSemaphore", n, err)
		}
	}
	if got, want := eventfdCount(t, sem.Handle()), uint64(MaxSemaphore)+1; got != want {
		t.Fatalf("semaphore count after Release(MaxSemaphore) and Release(1) = %d, want %d", got, want)
	}
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], 1<<64-2-(uint64(MaxSemaphore)+1))
	if _, err := unix.Write(int(sem.Handle()), b[:]); err != nil {
		t.Fatalf("filling the semaphore to 2^64-2: %v", err)
	}
	if err := sem.Release(1); err == nil {
		t.Errorf("Release(1) at 2^64-2 = nil error, want an overflow error")
	}
	if got := eventfdCount(t, sem.Handle()); got != 1<<64-2 {
		t.Errorf("semaphore count after a refused Release = %d, want 2^64-2", got)
	}
}

// eventfdCount returns an eventfd's counter, from its fdinfo.
func eventfdCount(t *testing.T, fd uintptr) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "eventfd-count:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("fdinfo eventfd-count %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatalf("fd %d has no eventfd-count in fdinfo", fd)
	return 0
}
