package handoff

// Start on Linux: the parent-death signal holds when Start is called from a
// thread that exits.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
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

func init() { registerHelper("start-from-main-thread", startFromMainThread) }

// startFromMainThread is TestStartFromMainThread's helper: a goroutine that
// runs on the main thread starts "sleep 30" and returns while locked there;
// the helper prints the child's pid, and stays until its standard input
// closes. It lives in a process of its own, for the runtime keeps that
// thread parked for good.
func startFromMainThread([]string) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		started := make(chan int, 1)
		go func() {
			runtime.LockOSThread() // never unlocked on the main thread: the runtime parks it
			if unix.Gettid() != unix.Getpid() {
				runtime.UnlockOSThread()
				started <- 0
				return
			}
			h := Command(exec.Command("sleep", "30"))
			if err := h.Start(); err != nil {
				benchFatal(err)
			}
			started <- h.Cmd.Process.Pid
		}()
		if pid := <-started; pid != 0 {
			fmt.Println(pid)
			io.Copy(io.Discard, os.Stdin)
			return
		}
	}
	benchFatal(errors.New("no goroutine ran on the main thread within 10 s"))
}

// TestStartFromMainThread: a child started from the main thread outlives the
// goroutine that started it, which returns while locked there. Start starts
// a child from the calling thread when that is the main thread, which the
// runtime parks rather than end (see startFromStarter); this holds it to that.
func TestStartFromMainThread(t *testing.T) {
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Fatalf("sleep: %v", err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = testEnv(t)("start-from-main-thread")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	var pid int
	if _, err := fmt.Fscan(stdout, &pid); err != nil {
		t.Fatalf("helper's child pid: %v", err)
	}
	defer unix.Kill(pid, unix.SIGKILL)
	// Killed by the parent-death signal, the child would have ended within
	// microseconds of the goroutine's return.
	time.Sleep(500 * time.Millisecond)
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatalf("child %d: %v", pid, err)
	}
	// The state follows the command's name in parentheses.
	if _, rest, _ := strings.Cut(string(stat), ") "); !strings.HasPrefix(rest, "S") && !strings.HasPrefix(rest, "R") {
		t.Fatalf("child %d ended after the goroutine that started it returned locked to the main thread: /proc/%d/stat %q", pid, pid, stat)
	}
}
