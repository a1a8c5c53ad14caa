//go:build unix

package handoff

// Start's ExtraFiles on Linux and the pipe backend (os/exec has none on
// Windows).

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// TestStartSharedExtraFiles: concurrent Starts of commands that share one
// ExtraFiles slice with spare capacity write nothing into it (under -race,
// any write would be seen too), and each child gets the caller's file at 3
// and its own event after it.
func TestStartSharedExtraFiles(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	extra := make([]*os.File, 1, 16)
	extra[0] = w
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "{handles}", "{event}")
			cmd.Env = helperEnv("start-report")
			cmd.ExtraFiles = extra
			h := Command(cmd)
			h.Pass("event", testEvent(t))
			rep := runReport(t, h)
			if v, _ := h.Value("event"); v != 4 || len(rep.Args) != 2 || rep.Args[1] != "4" {
				t.Errorf("child %d got %q, Value(event) = %d; want the event at 4, after the caller's file", i, rep.Args, v)
			}
		})
	}
	wg.Wait()
	if spare := extra[1:cap(extra)]; spare[0] != nil {
		t.Errorf("the caller's ExtraFiles has %v past its length after Start, want nothing written there", spare[0])
	}
}

// TestWaitReadyAfterReap: WaitReady waits on the child that Start started,
// not on whatever process its PID names later: after the caller reaped the
// child with Cmd.Wait, WaitReady still reports that it exited before it
// was ready (on Linux the pidfd taken at Start says so; one taken now would
// find no process, or another one).
func TestWaitReadyAfterReap(t *testing.T) {
	cmd := exec.Command(os.Args[0], "{ready}")
	cmd.Env = helperEnv("exit-at-once")
	h := Command(cmd)
	h.ExpectReady()
	if err := h.Start(); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("Cmd.Wait() = %v", err)
	}
	if err := h.WaitReady(context.Background()); !errors.Is(err, ErrNotReady) {
		t.Errorf("WaitReady() after the child was reaped = %v, want %v", err, ErrNotReady)
	}
	h.Wait()
}
