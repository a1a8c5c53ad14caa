package handoff

// The fixtures of TestSoak on Windows: 50 handoffs one at a time (1,000
// with HANDOFF_STRESS=full), the children watched, and the
// handles of the types a handoff makes counted by a scan.

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

func init() {
	soakPlatform.n, soakPlatform.workers = count(50, 1000), 1
	soakPlatform.warm = warmThreads
	soakPlatform.handles = settledHandles
	soakPlatform.watch = func(h *Handoff) func() int {
		var ps []windows.Handle
		for _, pid := range []uint32{uint32(h.Cmd.Process.Pid)} {
			if p, err := windows.OpenProcess(windows.SYNCHRONIZE, false, pid); err == nil {
				ps = append(ps, p)
			}
		}
		return func() (left int) {
			for _, p := range ps {
				if running(p) {
					left++
				}
				windows.CloseHandle(p)
			}
			return left
		}
	}
	soakPlatform.notes = func() string {
		self, err := processHandles(uint32(os.Getpid()))
		var hc uint32
		getProcessHandleCount(windows.CurrentProcess(), &hc)
		return fmt.Sprintf("SystemExtendedHandleInformation: %d handles (%v), GetProcessHandleCount: %d", self, err, hc)
	}
	soakPlatform.check = checkSoakTypes
}

// settledHandles scans the handles a few times and keeps the least: a leak
// stays, while handles of the runtime or of Wine's own threads come and go
// (seen here: +1 or +2 for a moment, now and then). It sleeps before each
// scan, so that the runtime's timer, which gets an IoCompletion handle on
// first use, is in all of them.
func settledHandles() []soakHandle {
	var scan []handleInfo
	for range 5 {
		time.Sleep(20 * time.Millisecond)
		if hs := scanHandles(scanLimit); scan == nil || len(hs) < len(scan) {
			scan = hs
		}
	}
	hs := make([]soakHandle, len(scan))
	for i, hi := range scan {
		hs[i] = soakHandle{hi.Value, hi.Type}
	}
	return hs
}

// checkSoakTypes checks the soak parent's handles by type: what handoff
// could leak is counted by type, and the parent's handles of each of
// handoffTypes must be as many at the end as after the warm-up, and as
// many every 100 handoffs. Handles of other types are not handoff's
// (under Wine 10 one or two of no type name come and go: Wine's or the
// runtime's own), so they are only bounded: fewer new ones than half the
// handoffs after the warm-up, which a leak of one per handoff exceeds.
// GetProcessHandleCount answers 0 under Wine 8, so the handles are counted
// by a scan, and the total by SystemExtendedHandleInformation is noted.
func checkSoakTypes(t *testing.T, r soakReport) {
	t.Helper()
	types10, typesEnd := byType(r.First), byType(r.End)
	t.Logf("by type after %d: %v, at the end: %v; changed: %v", soakWarmup, types10, typesEnd, diffHandles(r.First, r.End))
	handoffs, other10, otherEnd := 0, len(r.First), len(r.End)
	for _, typ := range handoffTypes {
		handoffs += typesEnd[typ]
		other10 -= types10[typ]
		otherEnd -= typesEnd[typ]
		if typesEnd[typ] != types10[typ] {
			t.Errorf("soak parent's %s handles: %d after %d handoffs, %d after %d, want the same", typ, types10[typ], soakWarmup, typesEnd[typ], r.Handoffs)
		}
	}
	for i, trace := range r.Trace {
		c := 0
		for _, typ := range handoffTypes {
			c += byType(trace)[typ]
		}
		if c != handoffs {
			t.Errorf("soak parent's handles of handoff's types after %d handoffs: %d, at the end (%d): %d, want the same", 100*(i+1), c, r.Handoffs, handoffs)
		}
	}
	if grew, bound := otherEnd-other10, (r.Handoffs-soakWarmup)/2; grew >= bound {
		t.Errorf("soak parent's handles of other types grew by %d from %d handoffs to %d, want fewer than %d: %v", grew, soakWarmup, r.Handoffs, bound, diffHandles(r.First, r.End))
	}
}

// processHandles counts the handles of process pid in
// SystemExtendedHandleInformation.
func processHandles(pid uint32) (int, error) {
	entries, err := systemHandleEntries()
	c := 0
	for _, e := range entries {
		if e.UniqueProcessID == uintptr(pid) {
			c++
		}
	}
	return c, err
}

// warmThreads has the runtime start, before the soak, the threads that it
// might otherwise start in the middle of it, when more goroutines than
// usual happen to block in system calls at once: each thread of the
// runtime holds handles of its own (seen: a Thread, a Timer and two
// Events), and the runtime keeps its threads. 8 goroutines block at once,
// more than a handoff's Start, Wait and watcher ever do.
func warmThreads() {
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			windows.WaitForSingleObject(ev, 200)
			time.Sleep(time.Millisecond) // and the thread's timer
		}()
	}
	wg.Wait()
	windows.CloseHandle(ev)
}

// diffHandles lists the handles of a that b lacks ("-") and those of b
// that a lacks ("+").
func diffHandles(a, b []soakHandle) []string {
	var d []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			d = append(d, fmt.Sprintf("-%d(%s)", x.Value, x.What))
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			d = append(d, fmt.Sprintf("+%d(%s)", x.Value, x.What))
		}
	}
	return d
}

// handoffTypes are the types of the objects that a handoff opens in the
// parent, and could leak: the events (the ready object, a wait's cancel
// event), the child's process, its first thread, the job, the pipes of the
// standard streams (File), and what the other kinds are.
var handoffTypes = []string{"Event", "Process", "Thread", "Job", "File", "Semaphore", "Section"}

// byType counts handles by their type name.
func byType(hs []soakHandle) map[string]int {
	m := map[string]int{}
	for _, h := range hs {
		m[h.What]++
	}
	return m
}

// getProcessHandleCount is kernel32's GetProcessHandleCount, which x/sys
// lacks; only for the record, as Wine 8 answers 0.
func getProcessHandleCount(p windows.Handle, n *uint32) {
	windows.NewLazySystemDLL("kernel32.dll").NewProc("GetProcessHandleCount").Call(uintptr(p), uintptr(unsafe.Pointer(n)))
}
