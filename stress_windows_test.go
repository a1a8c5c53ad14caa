package handoff

// Hardening tests on Windows: the reverse leak, the parent or the child
// killed at each step, a hanging child, and Wait's output. Each reports its
// figure with t.Logf; run with -v to see them. HANDOFF_STRESS=full runs the
// full counts (100 repetitions of each fault); the everyday run does fewer.
// They do not run in parallel with other tests: they count what other tests
// would disturb, or time what load would slow.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

func init() {
	registerHelper("exit", func([]string) {})
	registerHelper("legacy-child", helperLegacyChild)
	registerHelper("fault-parent", helperFaultParent, "exit", "fault-child")
	registerHelper("fault-child", helperFaultChild)
	registerHelper("hang-child", helperHangChild, "sleep")
	registerHelper("sleep", func([]string) { time.Sleep(time.Hour) })
	registerHelper("say", func([]string) { fmt.Println("said") })
}

// stress reports whether HANDOFF_STRESS=full asks for the full counts.
func stress() bool { return os.Getenv("HANDOFF_STRESS") == "full" }

// count returns full under HANDOFF_STRESS=full, everyday otherwise.
func count(everyday, full int) int {
	if stress() {
		return full
	}
	return everyday
}

// gone is how long a process may take to end once its end is due.
const gone = time.Second

// --- Races -----------------------------------------------------------------

// --- The reverse leak --------------------------------------------------------

// legacyReport is what a "legacy-child" found among the handles it
// inherited from a CreateProcess with bInheritHandles=TRUE and no list.
type legacyReport struct {
	Inheritable []handleInfo `json:"inheritable"`
	// Events lists the inherited handles that name one of the parent's
	// handed-off events (CompareObjectHandles).
	Events []uintptr `json:"events"`
	// Processes lists the process IDs that inherited Process handles name.
	Processes []uint32 `json:"processes"`
	Err       string   `json:"err,omitempty"`
}

// helperLegacyChild is the child of "legacy" code: args are the file to
// report to, the parent's pid, and the parent's values of the events that
// the parent hands off, comma-separated.
func helperLegacyChild(args []string) {
	if len(args) != 3 {
		helperFatal("want 3 arguments, have %q", args)
	}
	var r legacyReport
	r.Inheritable = inheritable(scanHandles(scanLimit))
	pid, _ := strconv.ParseUint(args[1], 10, 32)
	parent, err := windows.OpenProcess(windows.PROCESS_DUP_HANDLE, false, uint32(pid))
	if err != nil {
		r.Err = fmt.Sprintf("OpenProcess: %v", err)
	}
	for _, hi := range r.Inheritable {
		switch hi.Type {
		case "Process":
			p, _ := windows.GetProcessId(windows.Handle(hi.Value))
			r.Processes = append(r.Processes, p)
		case "Event":
			if parent == 0 {
				break
			}
			for _, s := range strings.Split(args[2], ",") {
				v, _ := strconv.ParseUint(s, 10, 64)
				var dup windows.Handle
				if err := windows.DuplicateHandle(parent, windows.Handle(v), windows.CurrentProcess(), &dup, 0, false, windows.DUPLICATE_SAME_ACCESS); err != nil {
					r.Err = fmt.Sprintf("DuplicateHandle(%d): %v", v, err)
					continue
				}
				if winapi.CompareObjectHandles(dup, windows.Handle(hi.Value)) {
					r.Events = append(r.Events, hi.Value)
				}
				windows.CloseHandle(dup)
			}
		}
	}
	b, _ := json.Marshal(r)
	if err := os.WriteFile(args[0], b, 0o666); err != nil {
		helperFatal("%v", err)
	}
}

// legacyStart starts the test binary as a "legacy-child" the way legacy
// code does: CreateProcess with bInheritHandles=TRUE and no handle list,
// so that the child inherits every inheritable handle of this process.
func legacyStart(args []string) (windows.Handle, error) {
	argv := append([]string{os.Args[0]}, args...)
	for i, a := range argv {
		argv[i] = windows.EscapeArg(a)
	}
	cmdline, err := windows.UTF16PtrFromString(strings.Join(argv, " "))
	if err != nil {
		return 0, err
	}
	var env []uint16
	for _, kv := range helperEnv("legacy-child") {
		u, err := windows.UTF16FromString(kv)
		if err != nil {
			return 0, err
		}
		env = append(env, u...)
	}
	env = append(env, 0)
	si := &windows.StartupInfo{Cb: uint32(unsafe.Sizeof(windows.StartupInfo{}))}
	var pi windows.ProcessInformation
	err = windows.CreateProcess(nil, cmdline, nil, nil, true, windows.CREATE_UNICODE_ENVIRONMENT, &env[0], nil, si, &pi)
	if err != nil {
		return 0, os.NewSyscallError("CreateProcess", err)
	}
	windows.CloseHandle(pi.Thread)
	return pi.Process, nil
}

// TestReverseLeak: while handoffs start children, other code of the same
// process starts "legacy" children with bInheritHandles=TRUE and no handle
// list, which inherit every handle that is inheritable in this process at
// that moment. The figure: how many legacy children got one of handoff's
// handles (an event it hands off, or a lifeline: a Process handle on this
// process or on a broker), over 1,000 handoffs (50 in the everyday run).
// Target 0.
func TestReverseLeak(t *testing.T) {
	launches := count(50, 1000)
	const pool, starters, legacies = 8, 2, 2
	events := make([]*Event, pool)
	vals := make([]string, pool)
	for i := range events {
		events[i] = testEvent(t)
		vals[i] = FormatValue(events[i].Handle())
	}
	dir := tempDir(t)
	self := uint32(os.Getpid())

	var brokers sync.Map // the brokers' pids
	var next atomic.Int64
	var failed atomic.Int64
	stop := make(chan struct{})
	var handoffs, legacy sync.WaitGroup
	began := time.Now()
	for range starters {
		handoffs.Add(1)
		go func() {
			defer handoffs.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(launches) {
					return
				}
				h := Command(helperCommand("exit", "{event}", "{parent}"))
				h.Pass("event", events[i%pool])
				if err := h.Start(); err != nil {
					t.Errorf("handoff %d: Start() = %v", i, err)
					failed.Add(1)
					continue
				}
				brokers.Store(h.sys.brokerPid, true)
				if err := h.Wait(); err != nil {
					t.Errorf("handoff %d: Wait() = %v", i, err)
					failed.Add(1)
				}
			}
		}()
	}
	type tally struct {
		children, errs int
		reports        []legacyReport
	}
	tallies := make([]tally, legacies)
	for g := range legacies {
		legacy.Add(1)
		go func() {
			defer legacy.Done()
			tl := &tallies[g]
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				result := filepath.Join(dir, fmt.Sprintf("legacy-%d-%d.json", g, k))
				p, err := legacyStart([]string{result, strconv.Itoa(int(self)), strings.Join(vals, ",")})
				if err != nil {
					t.Errorf("legacy child: %v", err)
					return
				}
				windows.WaitForSingleObject(p, uint32(helperTimeout/time.Millisecond))
				windows.CloseHandle(p)
				b, err := os.ReadFile(result)
				os.Remove(result)
				var r legacyReport
				if err == nil {
					err = json.Unmarshal(b, &r)
				}
				if err != nil {
					tl.errs++
					continue
				}
				if r.Err != "" {
					tl.errs++
					t.Logf("legacy child: %s", r.Err)
				}
				tl.children++
				if len(r.Events) > 0 || len(r.Processes) > 0 {
					tl.reports = append(tl.reports, r)
				}
			}
		}()
	}
	handoffs.Wait()
	took := time.Since(began)
	close(stop)
	legacy.Wait()

	// A leak: an inherited handle that names one of the events handed off,
	// or a process handle on this process or on a broker: a lifeline.
	var children, errs, leaky, evs, lifelines int
	var example string
	for _, tl := range tallies {
		children += tl.children
		errs += tl.errs
		for _, r := range tl.reports {
			l := 0
			for _, pid := range r.Processes {
				if _, broker := brokers.Load(pid); broker || pid == self {
					l++
				}
			}
			if len(r.Events) > 0 || l > 0 {
				leaky++
				if example == "" {
					example = fmt.Sprintf("%v (events %v, processes %v)", r.Inheritable, r.Events, r.Processes)
				}
			}
			evs += len(r.Events)
			lifelines += l
		}
	}
	t.Logf("FIGURE reverse leak: %d of %d legacy children got handoff's handles (%d events, %d lifelines) over %d handoffs in %v",
		leaky, children, evs, lifelines, launches, took)
	if leaky > 0 {
		t.Errorf("%d legacy children inherited handoff's handles; one saw %s", leaky, example)
	}
	if children < 10 {
		t.Errorf("only %d legacy children ran during the handoffs: the test proves little", children)
	}
	if errs > 0 {
		t.Errorf("%d legacy children did not report", errs)
	}
}

// --- Faults ------------------------------------------------------------------

// faultReport is what a "fault-parent" reports once it reached its step.
type faultReport struct {
	Pid       int    `json:"pid"`
	ChildPid  int    `json:"child_pid,omitempty"`
	BrokerPid int    `json:"broker_pid,omitempty"`
	Err       string `json:"err,omitempty"`
}

// faultChildReport is what a "fault-child" writes to its result file when
// WaitParent returns, and only then.
type faultChildReport struct {
	Err string `json:"err"`
	At  int64  `json:"at"` // wall clock, ns
}

// helperFaultParent hands an event and the lifeline to a "fault-child" and
// stops at step $HANDOFF_FAULT_STEP, reports, and waits to be killed:
// "before-start" (after one whole handoff), "after-start" (the child
// waits), "after-set" (the child woke and lingers). At "during-start", it
// reports at once and starts children that exit at once, one after the
// other, until killed: the kill then falls anywhere in Start.
func helperFaultParent(args []string) {
	step := os.Getenv("HANDOFF_FAULT_STEP")
	r := faultReport{Pid: os.Getpid()}
	if step == "during-start" {
		e, err := NewEvent()
		if err != nil {
			helperFatal("%v", err)
		}
		emit(r)
		for {
			h := Command(exec.Command(os.Args[0], "{event}", "{parent}"))
			h.Cmd.Env = helperEnv("exit")
			h.Pass("event", e)
			if err := h.Start(); err != nil {
				helperFatal("Start: %v", err)
			}
			h.Wait()
		}
	}
	if step == "before-start" {
		e, err := NewEvent()
		if err != nil {
			helperFatal("%v", err)
		}
		h := Command(exec.Command(os.Args[0], "{event}", "{parent}"))
		h.Cmd.Env = helperEnv("exit")
		h.Pass("event", e)
		if err := h.Start(); err != nil {
			helperFatal("Start: %v", err)
		}
		if err := h.Wait(); err != nil {
			helperFatal("Wait: %v", err)
		}
		e.Close()
	}
	e, err := NewEvent()
	if err != nil {
		helperFatal("%v", err)
	}
	if step != "before-start" {
		cmd := exec.Command(os.Args[0], "{event}", "{parent}")
		cmd.Env = helperEnv("fault-child")
		out, err := cmd.StdoutPipe()
		if err != nil {
			helperFatal("%v", err)
		}
		h := Command(cmd)
		h.Pass("event", e)
		if err := h.Start(); err != nil {
			helperFatal("Start: %v", err)
		}
		r.ChildPid = cmd.Process.Pid
		r.BrokerPid = int(h.sys.brokerPid)
		lines := bufio.NewReader(out)
		if line, err := lines.ReadString('\n'); line != "waiting\n" {
			r.Err = fmt.Sprintf("child said %q, %v", line, err)
		}
		if step == "after-set" {
			if err := e.Set(); err != nil {
				helperFatal("Set: %v", err)
			}
			if line, err := lines.ReadString('\n'); line != "woke\n" {
				r.Err = fmt.Sprintf("child said %q, %v", line, err)
			}
		}
	}
	emit(r)
	time.Sleep(time.Hour) // until killed
}

// helperFaultChild opens its event and lifeline (args {event} {parent}),
// says "waiting", and waits. With $HANDOFF_FAULT_PAUSE set, it says
// "started" first and waits to be killed there. When WaitParent returns, it writes a
// faultChildReport to $HANDOFF_RESULT; if the event was set, it says "woke"
// and lingers until killed; otherwise it exits 4.
func helperFaultChild(args []string) {
	if os.Getenv("HANDOFF_FAULT_PAUSE") != "" {
		// Step "started": up, and not yet verified anything.
		fmt.Println("started")
		time.Sleep(time.Hour)
	}
	e, l := mustOpen(args)
	fmt.Println("waiting")
	ctx, cancel := context.WithTimeout(context.Background(), helperTimeout)
	defer cancel()
	err := e.WaitParent(ctx, l)
	b, _ := json.Marshal(faultChildReport{Err: errName(err), At: time.Now().UnixNano()})
	path := os.Getenv("HANDOFF_RESULT")
	if werr := os.WriteFile(path+".tmp", b, 0o666); werr != nil {
		helperFatal("%v", werr)
	}
	if werr := os.Rename(path+".tmp", path); werr != nil {
		helperFatal("%v", werr)
	}
	if err != nil {
		os.Exit(4)
	}
	fmt.Println("woke")
	time.Sleep(time.Hour)
}

// hangReport is what a "hang-child" reports before it hangs.
type hangReport struct {
	Grandchild int `json:"grandchild"`
}

// helperHangChild starts a grandchild that sleeps, reports its pid, and
// hangs: it never opens its event, never exits.
func helperHangChild(args []string) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = helperEnv("sleep")
	if err := cmd.Start(); err != nil {
		helperFatal("%v", err)
	}
	emit(hangReport{Grandchild: cmd.Process.Pid})
	time.Sleep(time.Hour)
}

// faultStats gathers, per case, the longest time something took to end.
type faultStats struct {
	mu  sync.Mutex
	max map[string]time.Duration
	n   map[string]int
}

func (s *faultStats) add(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.max == nil {
		s.max, s.n = map[string]time.Duration{}, map[string]int{}
	}
	s.n[name]++
	s.max[name] = max(s.max[name], d)
}

// TestFaults kills the parent at each step, kills the child at each step,
// and lets a child hang past its deadline, 10 times each (100 under
// HANDOFF_STRESS=full). After each case, every process involved must be
// gone: the parent, the child, the broker, a grandchild; after a parent's
// kill, within a second, and no process of the test binary but the test's
// may be left at all.
func TestFaults(t *testing.T) {
	reps := count(10, 100)
	var stats faultStats
	began := time.Now()
	for _, step := range []string{"before-start", "during-start", "after-start", "after-set"} {
		t.Run("kill-parent/"+step, func(t *testing.T) {
			for i := range reps {
				killParent(t, step, i, &stats)
				if t.Failed() {
					return
				}
			}
		})
	}
	for _, step := range []string{"started", "waiting", "woke"} {
		t.Run("kill-child/"+step, func(t *testing.T) {
			for range reps {
				killChild(t, step, &stats)
				if t.Failed() {
					return
				}
			}
		})
	}
	t.Run("hang", func(t *testing.T) {
		for range reps {
			hang(t, &stats)
			if t.Failed() {
				return
			}
		}
	})
	names := make([]string, 0, len(stats.max))
	for name := range stats.max {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Logf("FIGURE faults %s: %d runs, longest %v", name, stats.n[name], stats.max[name])
	}
	t.Logf("FIGURE faults: %d repetitions of 8 cases in %v", reps, time.Since(began))
}

// killParent runs a "fault-parent" to step, kills it there, and checks that
// its child and broker end within a second, and that the child never
// reported the event set when it was not.
func killParent(t *testing.T, step string, i int, stats *faultStats) {
	t.Helper()
	began := time.Now()
	result := filepath.Join(tempDir(t), "child.json")
	cmd := helperCommand("fault-parent")
	cmd.Env = append(cmd.Env, "HANDOFF_FAULT_STEP="+step, "HANDOFF_RESULT="+result)
	parent, lines := startWatched(t, cmd)
	var r faultReport
	readReport(t, lines, &r, helperTimeout)
	if r.Err != "" {
		t.Fatalf("fault-parent: %s", r.Err)
	}
	var child, broker windows.Handle
	if r.ChildPid != 0 {
		child = watch(t, "child", r.ChildPid)
	} else if step != "before-start" && step != "during-start" {
		t.Fatalf("fault-parent at %s reported no child", step)
	}
	if r.BrokerPid != 0 {
		broker = watch(t, "broker", r.BrokerPid)
	}
	if step == "during-start" {
		// Anywhere in the first handoffs: one takes ~50ms here.
		time.Sleep(time.Duration(i%20) * 10 * time.Millisecond)
	}

	if err := windows.TerminateProcess(parent, 0xBAD); err != nil {
		t.Fatalf("TerminateProcess(parent) = %v", err)
	}
	killed := time.Now()
	if _, ok := waitGone(parent, gone); !ok {
		t.Fatalf("run %d: parent still runs %v after TerminateProcess", i, gone)
	}
	for _, p := range []struct {
		name string
		h    windows.Handle
	}{{"child", child}, {"broker", broker}} {
		if p.h == 0 {
			continue
		}
		// Wait well past the bound, so that a slow end is measured and
		// reported as slow rather than cut at the bound.
		_, ok := waitGone(p.h, 5*gone-time.Since(killed))
		took := time.Since(killed)
		if !ok {
			t.Errorf("run %d: the %s still runs %v after its parent was killed at %s", i, p.name, took, step)
			continue
		}
		stats.add("kill-parent/"+step+" "+p.name+" gone", took)
		if took > gone {
			t.Errorf("run %d: the %s was gone %v after its parent was killed at %s, want < %v", i, p.name, took, step, gone)
		}
	}

	// Nothing of the parent's may be left: no broker, no child, whatever
	// the step.
	_, left := leftovers(t, began, gone-time.Since(killed))
	if len(left) > 0 {
		t.Errorf("run %d: %d processes of the test binary still run %v after the parent was killed at %s: %v", i, len(left), time.Since(killed), step, left)
	} else {
		stats.add("kill-parent/"+step+" all gone", time.Since(killed))
	}

	// The child writes its report only when WaitParent returns: never
	// "nil" unless the event was set.
	b, err := os.ReadFile(result)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		t.Errorf("run %d: %v", i, err)
	default:
		var cr faultChildReport
		if err := json.Unmarshal(b, &cr); err != nil {
			t.Fatalf("run %d: child reported %q: %v", i, b, err)
		}
		switch want := "ErrParentGone"; {
		case step == "after-set":
			if cr.Err != "nil" {
				t.Errorf("run %d: child woke with %s after Set, want nil", i, cr.Err)
			}
		case cr.Err != want:
			t.Errorf("run %d: child's WaitParent = %s with its parent killed at %s, want %s or no return", i, cr.Err, step, want)
		default:
			took := time.Duration(cr.At - killed.UnixNano())
			stats.add("kill-parent/"+step+" child reported ErrParentGone", took)
			if took > gone {
				t.Errorf("run %d: child reported ErrParentGone %v after the kill, want < %v", i, took, gone)
			}
		}
	}
}

// killChild starts a "fault-child" from this process, kills it at step
// from outside (TerminateProcess with code 0xDEAD), and checks that Wait
// reports that code within a second.
func killChild(t *testing.T, step string, stats *faultStats) {
	t.Helper()
	result := filepath.Join(tempDir(t), "child.json")
	ev := testEvent(t)
	cmd := helperCommand("fault-child", "{event}", "{parent}")
	cmd.Env = append(cmd.Env, "HANDOFF_RESULT="+result)
	if step == "started" {
		cmd.Env = append(cmd.Env, "HANDOFF_FAULT_PAUSE=1")
	}
	h := Command(cmd)
	h.Pass("event", ev)
	lines, waited := startHandoff(t, h)
	child := watch(t, "child", cmd.Process.Pid)
	expect := func(want string) {
		t.Helper()
		select {
		case line, ok := <-lines:
			if !ok || string(line) != want {
				t.Fatalf("child said %q (open %v), want %q", line, ok, want)
			}
		case <-time.After(helperTimeout):
			t.Fatalf("child did not say %q in %v", want, helperTimeout)
		}
	}
	switch step {
	case "started":
		// Not right after Start: under Wine 8, a process killed before its
		// Unix side has joined the wineserver can leave that Unix process
		// behind, holding go test's output pipe ("Test I/O incomplete").
		expect("started")
	case "waiting":
		expect("waiting")
	case "woke":
		expect("waiting")
		if err := ev.Set(); err != nil {
			t.Fatal(err)
		}
		expect("woke")
	}
	const code = 0xDEAD
	if err := windows.TerminateProcess(child, code); err != nil {
		t.Fatalf("TerminateProcess(child) = %v", err)
	}
	killed := time.Now()
	done := make(chan error, 1)
	*waited = true
	go func() { done <- h.Wait() }()
	select {
	case err := <-done:
		took := time.Since(killed)
		stats.add("kill-child/"+step+" Wait returned", took)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != code {
			t.Errorf("Wait() after the child was killed at %s = %v, want exit status %d", step, err, code)
		}
		if took > gone {
			t.Errorf("Wait() returned %v after the kill, want < %v", took, gone)
		}
	case <-time.After(helperTimeout):
		t.Fatalf("Wait() still waits %v after the child was killed", helperTimeout)
	}
	if running(child) {
		t.Errorf("child runs after Wait returned")
	}
	if b, err := os.ReadFile(result); err == nil && step != "woke" {
		t.Errorf("child killed at %s reported %s", step, b)
	}
}

// hang starts a "hang-child" under a context (exec.CommandContext) that
// ends 300ms after the child has reported its grandchild: Wait must return
// then, and the child and its grandchild must be gone. The 300ms run from
// the report, not from Start, so that a start slowed by load cannot use
// them up before the child has told its grandchild's pid.
func hang(t *testing.T, stats *faultStats) {
	t.Helper()
	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "{event}", "{parent}")
	cmd.Env = helperEnv("hang-child")
	h := Command(cmd)
	h.Pass("event", testEvent(t))
	lines, waited := startHandoff(t, h)
	child := watch(t, "child", cmd.Process.Pid)
	var r hangReport
	readReport(t, lines, &r, helperTimeout)
	grandchild := watch(t, "grandchild", r.Grandchild)
	began := time.Now()
	defer time.AfterFunc(deadline, cancel).Stop()
	*waited = true
	err := h.Wait()
	took := time.Since(began)
	stats.add("hang Wait returned after the child hung", took)
	if err == nil {
		t.Errorf("Wait() of a child past its deadline = nil, want an error")
	}
	if took > deadline+gone {
		t.Errorf("Wait() returned %v after the child hung, want < %v", took, deadline+gone)
	}
	if running(child) {
		t.Errorf("hanging child runs after Wait returned")
	}
	d, ok := waitGone(grandchild, gone)
	stats.add("hang grandchild gone after Wait", d)
	if !ok {
		t.Errorf("grandchild still runs %v after Wait returned", gone)
	}
}

// TestWaitOutput: with a Stdout that is not a file, os/exec copies the
// child's output through a pipe, and Wait returns only once every copy of
// the pipe's write end is closed, the broker's among them: os/exec's own
// closing of its copy in the broker fails under Wine 8, so handoff must end
// the broker when the child exits. Wait must return with the whole output,
// and the broker must be gone.
func TestWaitOutput(t *testing.T) {
	var out bytes.Buffer
	cmd := helperCommand("say", "{event}", "{parent}")
	cmd.Stdout = &out
	h := Command(cmd)
	h.Pass("event", testEvent(t))
	if err := h.Start(); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- h.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Wait() = %v", err)
		}
	case <-time.After(wakeTimeout):
		// Ending the child and the broker lets Wait return.
		h.Cmd.Process.Kill()
		if p, err := windows.OpenProcess(windows.PROCESS_TERMINATE, false, h.sys.brokerPid); err == nil {
			windows.TerminateProcess(p, 9)
			windows.CloseHandle(p)
		}
		<-done
		t.Fatalf("Wait() still waits %v after Start", wakeTimeout)
	}
	if got, want := out.String(), "said\n"; got != want {
		t.Errorf("child's output = %q, want %q", got, want)
	}
	if runningPid(h.sys.brokerPid) {
		t.Errorf("broker %d runs after Wait returned", h.sys.brokerPid)
	}
}
