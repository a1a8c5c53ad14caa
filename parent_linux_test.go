package handoff

// Start on Linux: the parent-death signal holds when Start is called from a
// thread that exits.

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// errMainThread reports a goroutine of TestStartFromExitingThread that ran
// on the main thread.
var errMainThread = errors.New("on the main thread")

// TestStartFromExitingThread: a child started from a goroutine locked to its
// OS thread outlives that thread. The parent-death signal (Pdeathsig) fires
// when the thread that started the child exits, not the process (Go issue
// 27505), and a goroutine that returns while locked ends its thread.
func TestStartFromExitingThread(t *testing.T) {
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Fatalf("sleep: %v", err)
	}
	// A goroutine that returns while locked ends its thread, unless that
	// is the main thread, which the runtime keeps: a goroutine that lands
	// there keeps it until the test ends, and the next one runs elsewhere.
	release := make(chan struct{})
	defer close(release)
	var h *Handoff
	var tid int
	for h == nil {
		started := make(chan error, 1)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			if unix.Gettid() == unix.Getpid() {
				started <- errMainThread
				<-release
				runtime.UnlockOSThread()
				return
			}
			tid = unix.Gettid()
			h = Command(exec.Command("sleep", "30"))
			started <- h.Start()
		}()
		switch err := <-started; {
		case err == errMainThread:
		case err != nil:
			t.Fatalf("Start() = %v", err)
		}
	}
	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = h.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		h.Cmd.Process.Kill()
		<-exited
	})

	// The thread that called Start is gone from this process...
	task := "/proc/self/task/" + strconv.Itoa(tid)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(task); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d that called Start still runs 5 s after its goroutine returned", tid)
		}
	}
	// ...and the child runs on: killed by the signal, it would have ended
	// within microseconds of the thread.
	select {
	case <-exited:
		t.Fatalf("child ended after the thread that started it exited: Wait() = %v, want it still running", waitErr)
	case <-time.After(500 * time.Millisecond):
	}
}
