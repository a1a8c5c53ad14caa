package handoff

// The fixtures of the parent's-end tests on Windows: the parent's job ends
// the child; processes watched by
// handle; the job reported by the parent.

import (
	"testing"
	"time"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

func init() {
	parentEnd.modes = []string{"lifeline"}
	parentEnd.endsChild = true
	parentEnd.deathSignal = true
	parentEnd.watch = windowsWatch
	parentEnd.describe = func(h *Handoff, r *parentReport) {
		// IsProcessInJob: Windows accepts PROCESS_QUERY_LIMITED_INFORMATION,
		// Wine 8 wants PROCESS_QUERY_INFORMATION.
		p, err := windows.OpenProcess(windows.PROCESS_QUERY_INFORMATION, false, uint32(r.Pid))
		if err != nil {
			helperFatal("OpenProcess: %v", err)
		}
		defer windows.CloseHandle(p)
		if err := winapi.IsProcessInJob(p, h.sys.job, &r.InJob); err != nil {
			helperFatal("IsProcessInJob: %v", err)
		}
	}
	parentEnd.check = checkChildInJob
	parentEnd.eventSet = func(ev *Event) (bool, bool) {
		s, _ := windows.WaitForSingleObject(windows.Handle(ev.Handle()), 0)
		return s == windows.WAIT_OBJECT_0, true
	}
}

// windowsWatch watches process pid by a handle, which keeps the pid from
// being reused. Its wait fails the test if the process ended by itself
// (exit code 3, helperFatal's and helperWaitForever's): killed with its
// job, it ends with 0 under Wine 8.
func windowsWatch(t *testing.T, what string, pid int) procWatch {
	h := watch(t, what, pid)
	return procWatch{
		running: func() bool { return running(h) },
		wait: func(limit time.Duration) (int64, bool) {
			_, ok := waitGone(h, limit)
			at := monotonic()
			var code uint32
			if ok && windows.GetExitCodeProcess(h, &code) == nil && code == 3 {
				t.Errorf("the %s %d ended by itself (exit code 3), want it killed", what, pid)
			}
			return at, ok
		},
	}
}

// checkChildInJob checks that the child of a parent helper is in the job of
// its Handoff, and that this process is in no job.
func checkChildInJob(t *testing.T, r parentReport) {
	t.Helper()
	if !r.InJob {
		t.Errorf("child is not in its Handoff's job")
	}
	child, err := windows.OpenProcess(windows.PROCESS_QUERY_INFORMATION, false, uint32(r.Pid))
	if err != nil {
		t.Fatalf("OpenProcess(child %d) = %v", r.Pid, err)
	}
	defer windows.CloseHandle(child)
	var inJob, selfInJob bool
	if err := winapi.IsProcessInJob(child, 0, &inJob); err != nil {
		t.Fatalf("IsProcessInJob(child) = %v", err)
	}
	if err := winapi.IsProcessInJob(windows.CurrentProcess(), 0, &selfInJob); err != nil {
		t.Fatalf("IsProcessInJob(self) = %v", err)
	}
	if !inJob || selfInJob {
		t.Errorf("IsProcessInJob: child %v, test process %v; want true, false", inJob, selfInJob)
	}
}

// monotonic returns the wall clock in nanoseconds: the same clock in every
// process.
func monotonic() int64 { return time.Now().UnixNano() }
