package handoff

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"github.com/handoff/handoff/internal/trace"
	"golang.org/x/sys/windows"
)

// startFailed reports whether err is a failure to start a process that
// running again may cure: Wine's CreateProcess fails now and then under load
// with ERROR_INTERNAL_ERROR, as docs/windows.md says.
func startFailed(err error) bool { return errors.Is(err, windows.ERROR_INTERNAL_ERROR) }

// gateProbes are the probes of BenchmarkStartGate on Windows:
// child=c-roundtrip is the C child that makes one call to the system,
// SetEvent on an event of its own, between its wake and its reading of the
// clock. Under Wine that call is a round trip to the single-threaded
// wineserver, which is still waking the other children. A Go child makes
// the same call there: its wait lasted more than 10 ms, so the runtime's
// monitor thread took its P, and the return wakes the monitor with SetEvent.
var gateProbes = []gateKind{
	{"c-roundtrip", func(b *testing.B) gateChild {
		path := filepath.Join(benchPrograms(b), exe("c-gate"))
		if _, err := os.Stat(path); err != nil {
			b.Skip("no C gate child: ", err)
		}
		return gateChild{[]string{path}, []string{"-roundtrip"}, nil}
	}},
}

// startSteps are BenchmarkStartSteps' steps on Windows before the parent's
// side of the handoff: a bare start beside a kill-on-close job, created
// first as Start creates one (job).
var startSteps = []startStep{{"job", runBesideJob}}

// startFloor is the step that Start's own work is measured over on
// Windows: a plain start of the same binary, for a handle can be passed
// there only by a start that makes it inheritable for that child alone.
const startFloor = "bare"

// runBesideJob creates a kill-on-close job, as Start does, then starts the
// test binary with nothing handed over, waits for it, and closes the job.
func runBesideJob() error {
	job, err := newKillOnCloseJob()
	if err != nil {
		return err
	}
	defer windows.CloseHandle(job)
	return runBare()
}

// memoryChildren are the children of BenchmarkChildMemory on Windows.
var memoryChildren = []memoryChild{
	{"handoff-child", "handoff-child", []string{"-event", "{event}", "-parent", "{parent}"}},
	{"go-classic-child", "classicchild", []string{"{event}"}},
	{"c-child", "c-child", []string{"{event}"}},
}

// benchPrograms returns the directory of the built Windows programs,
// $HANDOFF_BENCH_BIN/windows (scripts/bench.sh builds them there), or skips:
// a Windows test binary cannot build them.
func benchPrograms(b *testing.B) string {
	dir := os.Getenv("HANDOFF_BENCH_BIN")
	if dir == "" {
		b.Skip("HANDOFF_BENCH_BIN is not set: no built programs (scripts/bench.sh builds them)")
	}
	return filepath.Join(dir, "windows")
}

// vmCounters is VM_COUNTERS, the ProcessVmCounters class of
// NtQueryInformationProcess.
type vmCounters struct {
	PeakVirtualSize, VirtualSize       uintptr
	PageFaultCount                     uint32
	PeakWorkingSetSize, WorkingSetSize uintptr
	QuotaPeakPagedPoolUsage            uintptr
	QuotaPagedPoolUsage                uintptr
	QuotaPeakNonPagedPoolUsage         uintptr
	QuotaNonPagedPoolUsage             uintptr
	PagefileUsage, PeakPagefileUsage   uintptr
}

// childPeak runs path as a child of this process with the event passed,
// reads the child's peak working set once it waits, then sets the event and
// waits for the child. The peak is read before the exit: a process that is
// gone has no working set left to ask about. handoff-child says when it
// waits (its "waiting" trace line, with HANDOFF_TRACE=1); for the others,
// the peak is read once it has not grown for 200 ms.
func childPeak(path string, args []string) (int64, error) {
	ev, err := NewEvent()
	if err != nil {
		return 0, err
	}
	defer ev.Close()
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), trace.EnvVar+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	h := Command(cmd)
	h.Pass("event", ev)
	if err := h.Start(); err != nil {
		return 0, err
	}
	peak, perr := peakWhenWaiting(cmd.Process.Pid, out, filepath.Base(path) == exe("handoff-child"))
	ev.Set()
	io.Copy(io.Discard, out)
	if err := h.Wait(); err != nil {
		return 0, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return peak, perr
}

func peakWhenWaiting(pid int, out io.Reader, traced bool) (int64, error) {
	p, err := windows.OpenProcess(windows.PROCESS_QUERY_INFORMATION|windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return 0, os.NewSyscallError("OpenProcess", err)
	}
	defer windows.CloseHandle(p)
	peak := func() (int64, error) {
		var c vmCounters
		if err := windows.NtQueryInformationProcess(p, windows.ProcessVmCounters, unsafe.Pointer(&c), uint32(unsafe.Sizeof(c)), nil); err != nil {
			return 0, os.NewSyscallError("NtQueryInformationProcess", err)
		}
		return int64(c.PeakWorkingSetSize), nil
	}
	if traced {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if e, err := trace.ParseLine(s.Bytes()); err == nil && e.Step == "waiting" {
				break
			}
		}
		return peak()
	}
	last, since := int64(-1), time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		v, err := peak()
		if err != nil {
			return 0, err
		}
		if v != last {
			last, since = v, time.Now()
		} else if v > 0 && time.Since(since) >= 200*time.Millisecond {
			return v, nil
		}
	}
	return 0, fmt.Errorf("the peak working set of process %d did not settle within 10s", pid)
}
