package handoff

// Process bookkeeping for the Windows tests that start helper processes:
// watching a process by handle, waiting for its end, and the processes of
// the test binary left behind.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// watch opens a process by pid for waiting, so that the pid cannot be
// reused while the test watches it.
func watch(t *testing.T, what string, pid int) windows.Handle {
	t.Helper()
	h, err := windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION|windows.PROCESS_TERMINATE, false, uint32(pid))
	if err != nil {
		t.Fatalf("OpenProcess(%s %d) = %v", what, pid, err)
	}
	t.Cleanup(func() {
		windows.TerminateProcess(h, 9)
		windows.CloseHandle(h)
	})
	return h
}

// waitGone waits up to d (not at all if d <= 0) for the process to end and
// returns how long it took, or false. A caller that holds a bound compares
// the time measured with it: the wait is only there to end the test.
func waitGone(p windows.Handle, d time.Duration) (time.Duration, bool) {
	start := time.Now()
	ms := uint32(0)
	if d > 0 {
		ms = uint32(min(d, helperTimeout) / time.Millisecond)
	}
	s, _ := windows.WaitForSingleObject(p, ms)
	return time.Since(start), s == windows.WAIT_OBJECT_0
}

// running reports whether the process of p has not ended.
func running(p windows.Handle) bool {
	s, _ := windows.WaitForSingleObject(p, 0)
	return s == uint32(windows.WAIT_TIMEOUT)
}

// leftovers returns the running processes of the test binary, other than
// this one, that were created since, waiting up to d for them to end: in
// the fault tests, which run alone, every such process belongs to the case that
// began at since.
func leftovers(t *testing.T, since time.Time, d time.Duration) (time.Duration, []string) {
	t.Helper()
	start := time.Now()
	exe := strings.ToLower(filepath.Base(os.Args[0]))
	for {
		snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
		if err != nil {
			t.Fatalf("CreateToolhelp32Snapshot: %v", err)
		}
		var left []string
		parents := make(map[uint32]uint32) // every process's parent
		var same []windows.ProcessEntry32  // the processes of this test binary
		pe := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
		for err = windows.Process32First(snap, &pe); err == nil; err = windows.Process32Next(snap, &pe) {
			parents[pe.ProcessID] = pe.ParentProcessID
			name := strings.ToLower(windows.UTF16ToString(pe.ExeFile[:]))
			if name == exe && pe.ProcessID != windows.GetCurrentProcessId() {
				same = append(same, pe)
			}
		}
		windows.CloseHandle(snap)
		for _, pe := range same {
			if !foreign(pe.ProcessID, parents) && startedSince(pe.ProcessID, since) {
				left = append(left, fmt.Sprintf("%d(parent %d)", pe.ProcessID, pe.ParentProcessID))
			}
		}
		if len(left) == 0 || time.Since(start) >= d {
			return time.Since(start), left
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// foreign reports whether process pid descends from a run of the test
// binary other than this one, which shares the Wine prefix: its line of
// parents reaches a process started from outside Wine (parent 0) that is
// not this process. A process whose line ends at a parent that has exited,
// this test's killed parent say, is this test's.
func foreign(pid uint32, parents map[uint32]uint32) bool {
	self := windows.GetCurrentProcessId()
	for range len(parents) {
		if pid == self {
			return false
		}
		parent, ok := parents[pid]
		switch {
		case !ok:
			return false
		case parent == 0:
			return true
		}
		pid = parent
	}
	return false
}

// startedSince reports whether process pid runs and was created at since
// or later.
func startedSince(pid uint32, since time.Time) bool {
	p, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION|windows.SYNCHRONIZE, false, pid)
	if err != nil {
		return false // gone
	}
	defer windows.CloseHandle(p)
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(p, &created, &exited, &kernel, &user); err != nil {
		return true // cannot tell: count it
	}
	return running(p) && !time.Unix(0, created.Nanoseconds()).Before(since)
}

// startWatched starts the helper process cmd with its standard output a
// pipe of this process's, and returns a handle that watches it (ended at the
// end of the test) and its report lines.
func startWatched(t *testing.T, cmd *exec.Cmd) (windows.Handle, <-chan []byte) {
	t.Helper()
	outR, outW := pipe(t)
	t.Cleanup(func() { outR.Close() })
	cmd.Stdout, cmd.Stderr = outW, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	t.Cleanup(func() { cmd.Wait() }) // after watch's cleanup ends it
	return watch(t, "parent", cmd.Process.Pid), reports(outR)
}
