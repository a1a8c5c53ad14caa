//go:build unix

package handoff

// The parent's end, on Linux and the pipe backend: a parent that exits
// without setting the event, and a parent killed with SIGKILL. What differs
// between the backends is supplied by parentEnd in handoff_linux_test.go
// and handoff_pipe_test.go.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerHelper("parent", helperParent)
	registerHelper("wait-for-set", helperWaitForSet)
	registerHelper("sleep", func([]string) { time.Sleep(time.Minute) })
}

// parentEnd is what the backends differ in at the parent's end.
var parentEnd struct {
	// modes are the ways a parent passes the child its end: "lifeline",
	// and on the pipe backend "no-lifeline" (the event's pipe, whose
	// only write end was the parent's).
	modes []string
	// watch, where a child that waits on nothing ends with its killed
	// parent (Linux: the parent-death signal), returns a wait for the end
	// of process pid that reports when (monotonic) it saw it; nil where
	// such a child must be left running (the pipe backend has no
	// parent-death signal).
	watch func(t *testing.T, pid int) func(limit time.Duration) (at int64, gone bool)
	// lifelineAlone leaves the child of cmd, passed ev, nothing but the
	// lifeline to learn its parent's end from: on Linux it makes the
	// parent-death signal harmless; on the pipe backend it keeps the
	// event's write end open in another process for 2 s, so that the
	// event's pipe does not report the parent's end first.
	lifelineAlone func(cmd *exec.Cmd, ev *Event)
}

// parentLimit is how soon a child must see its parent's end, or be gone.
const parentLimit = time.Second

// helperParent starts the helper args[0] with an event and, unless args[1]
// is "no-lifeline", a lifeline, and prints the child's pid; a
// "wait-for-set" child first, once it has opened what it waits on. With
// args[1] "hold" it then blocks until it is killed; otherwise it exits
// without setting the event or waiting. The "wait-for-set" child sees the
// lifeline alone (parentEnd.lifelineAlone).
func helperParent(args []string) {
	ev, err := NewEvent()
	if err != nil {
		panic(err)
	}
	cmdArgs := []string{"{event}", "{parent}"}
	if args[1] == "no-lifeline" {
		cmdArgs = cmdArgs[:1]
	}
	waits := args[0] == "wait-for-set"
	if waits {
		cmdArgs = append([]string{"{ready}"}, cmdArgs...)
	}
	cmd := exec.Command(os.Args[0], cmdArgs...)
	cmd.Env = helperEnv(args[0])
	cmd.Stderr = os.Stderr
	h := Command(cmd)
	h.Pass("event", ev)
	if waits {
		if args[1] != "no-lifeline" {
			parentEnd.lifelineAlone(cmd, ev)
		}
		h.ExpectReady()
	}
	if err := h.Start(); err != nil {
		panic(err)
	}
	if waits {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := h.WaitReady(ctx)
		cancel()
		if err != nil {
			panic(err)
		}
	}
	fmt.Println(cmd.Process.Pid)
	if args[1] == "hold" {
		select {}
	}
}

// helperWaitForSet (args {ready} {event} [{parent}]) opens the event and
// the lifeline if it was passed one, signals ready, waits for the event and
// the end of its parent, and writes what woke it, with the monotonic time,
// to the file named by HANDOFF_TEST_RESULT: whole under another name, then
// renamed, so that the test sees all of it or nothing. Its parent ends only
// once it is ready, so that what the test sees is WaitParent's answer; if
// an open fails, the result says "open: " and why.
func helperWaitForSet(args []string) {
	what := "open: "
	ev, err := OpenEvent(args[1])
	var parent *Lifeline
	if err == nil && len(args) > 2 {
		parent, err = OpenLifeline(args[2])
	}
	if err == nil {
		err = SignalReady(args[0])
	}
	if err == nil {
		what = ""
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = ev.WaitParent(ctx, parent)
		cancel()
	}
	result := fmt.Sprintf("%d %s%s", monotonic(), what, sentinel(err))
	name := os.Getenv("HANDOFF_TEST_RESULT")
	if os.WriteFile(name+".new", []byte(result), 0o644) == nil {
		os.Rename(name+".new", name)
	}
}

// monotonic returns CLOCK_MONOTONIC in nanoseconds: the same clock in every
// process.
func monotonic() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// waitResult waits up to 5 s for the result file of a "wait-for-set"
// child, and returns what woke it and how long after since (monotonic) it
// woke.
func waitResult(t *testing.T, path string, since int64) (what string, after time.Duration) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		got, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var woke int64
		if _, err := fmt.Sscan(string(got), &woke); err != nil {
			t.Fatalf("child result %q: %v", got, err)
		}
		_, what, _ := strings.Cut(string(got), " ")
		return what, time.Duration(woke - since)
	}
	t.Fatalf("child wrote no result in 5 s")
	return "", 0
}

// checkParentGone checks the result of a "wait-for-set" child: WaitParent
// answered ErrParentGone within parentLimit of since, when its parent ended
// as how says.
func checkParentGone(t *testing.T, result string, since int64, how string) {
	t.Helper()
	what, lag := waitResult(t, result, since)
	t.Logf("child woke with %q %v after its parent %s", what, lag, how)
	if what != ErrParentGone.Error() {
		t.Errorf("child woke with %q, want WaitParent's %q", what, ErrParentGone)
	}
	if lag > parentLimit {
		t.Errorf("child saw its parent gone %v after the parent %s, want < %v", lag, how, parentLimit)
	}
}

// startParent starts a "parent" helper of child in mode, and returns it and
// the child's pid.
func startParent(t *testing.T, child, mode, result string) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], helperArg(child), mode)
	cmd.Env = helperEnv("parent", "HANDOFF_TEST_RESULT="+result)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	var pid int
	if _, err := fmt.Fscan(out, &pid); err != nil {
		t.Fatalf("reading child pid: %v", err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return cmd, pid
}

// TestParentGone: a parent starts a child and exits without setting the
// event. The child must see ErrParentGone within a second of the parent's
// exit: from the lifeline, or, on the pipe backend with no lifeline, from
// the event's pipe, whose only write end was the parent's.
func TestParentGone(t *testing.T) {
	for _, mode := range parentEnd.modes {
		t.Run(mode, func(t *testing.T) {
			result := filepath.Join(t.TempDir(), "result")
			cmd, _ := startParent(t, "wait-for-set", mode, result)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("helper parent: %v", err)
			}
			// The child woke before this process saw the parent's exit,
			// or soon after.
			checkParentGone(t, result, monotonic(), "exited")
		})
	}
}

// TestKillParentKillsChild kills a live parent (it blocks after Start) with
// SIGKILL. A child that waits on its event and lifeline must see
// ErrParentGone within a second. A child that waits on nothing must be gone
// within a second where the backend has a parent-death signal (Linux), and
// still running, not a zombie, where it has none (the pipe backend), as
// doc.go says.
func TestKillParentKillsChild(t *testing.T) {
	for _, child := range []string{"wait-for-set", "sleep"} {
		t.Run(child, func(t *testing.T) {
			result := filepath.Join(t.TempDir(), "result")
			cmd, pid := startParent(t, child, "hold", result)
			var waitGone func(time.Duration) (int64, bool)
			if parentEnd.watch != nil {
				waitGone = parentEnd.watch(t, pid)
			}
			if !running(cmd.Process.Pid) || !running(pid) {
				t.Fatalf("before the kill: parent running %v, child running %v; want both", running(cmd.Process.Pid), running(pid))
			}
			killed := monotonic()
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill parent: %v", err)
			}
			if child == "wait-for-set" {
				checkParentGone(t, result, killed, "was killed")
				return
			}
			if waitGone == nil {
				time.Sleep(3 * parentLimit / 10)
				if !running(pid) {
					t.Errorf("child %d that waits on nothing is gone after its parent was killed (state %q); doc.go says it stays", pid, procState(pid))
				}
				return
			}
			at, gone := waitGone(5 * parentLimit)
			took := time.Duration(at - killed)
			if !gone {
				t.Fatalf("child %d still running %v after its parent was killed", pid, took)
			}
			if took > parentLimit {
				t.Errorf("child %d gone %v after its parent was killed, want < %v", pid, took, parentLimit)
			}
		})
	}
}
