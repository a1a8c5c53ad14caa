//go:build unix

package handoff

// Tools of the Linux and pipe-backend tests: helper commands, JSON reports,
// the values a child got, the state of a process.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperCommand returns a Handoff of the test binary running helper with
// args, its stdout a pipe.
func helperCommand(t *testing.T, helper string, args ...string) (*Handoff, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = helperEnv(helper)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	return Command(cmd), bufio.NewScanner(out)
}

// checkPassedValues checks that a child got, as event and lifeline, the
// values h passed.
func checkPassedValues(t *testing.T, h *Handoff, event, lifeline int) {
	t.Helper()
	eventValue, _ := h.Value("event")
	lifelineValue, _ := h.Value(LifelineName)
	if event != int(eventValue) || lifeline != int(lifelineValue) {
		t.Errorf("child got event %d, lifeline %d; parent passed %d, %d", event, lifeline, eventValue, lifelineValue)
	}
}

// wokeBy waits up to 10 s for ev to be set or parent to end, and names
// what woke it: "signaled", or the sentinel error.
func wokeBy(ev *Event, parent *Lifeline) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ev.WaitParent(ctx, parent); err != nil {
		return sentinel(err), err
	}
	return "signaled", nil
}

// writeReport writes what a helper child observed as one JSON line.
func writeReport(w io.Writer, r any) {
	b, _ := json.Marshal(r)
	fmt.Fprintf(w, "%s\n", b)
}

// readReport reads a helper child's next report, a JSON line, into a T.
func readReport[T any](t *testing.T, s *bufio.Scanner) T {
	t.Helper()
	var r T
	if !s.Scan() {
		t.Fatalf("child wrote no report: %v", s.Err())
	}
	if err := json.Unmarshal(s.Bytes(), &r); err != nil {
		t.Fatalf("child report %q: %v", s.Text(), err)
	}
	return r
}

// procState returns the state letter of process pid from /proc/<pid>/stat
// ("Z" for a zombie), or "" if there is no such process or no /proc.
func procState(pid int) string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	state, _, _ := strings.Cut(rest, " ")
	return state
}

// running reports whether process pid exists and, where /proc tells, is not
// a zombie: kill(pid, 0) alone succeeds for a zombie. Without /proc (macOS)
// it is kill(pid, 0) alone.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return true
	}
	switch procState(pid) {
	case "", "Z", "X":
		return false
	}
	return true
}

// inheritedAtExec reports whether this process got fd at exec, open and not
// close-on-exec: a standard descriptor by its flag, the others by the record
// that package init made of them, and marked close-on-exec (so that a
// descriptor opened since is out of the record, as it is no longer the
// child's to inherit).
func inheritedAtExec(fd int) bool {
	if fd <= 2 {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		return err == nil && flags&unix.FD_CLOEXEC == 0
	}
	record.Lock()
	defer record.Unlock()
	_, ok := inherited[fd]
	return ok
}
