package handoff

// Hardening tests on Windows: the reverse leak, and Wait's output. Each
// reports its figure with t.Logf; run with -v to see them. HANDOFF_STRESS=full
// runs the full counts; the everyday run does fewer. They do not run in
// parallel with other tests: they count what other tests would disturb, or
// time what load would slow. The faults (the parent or the child killed at
// each step, a hanging child) are faults_test.go's, with their Windows
// fixtures in faults_windows_test.go.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
// process starts children of its own, which must catch none of handoff's
// handles (an event it hands off, or a lifeline: a Process handle on this
// process), though Start makes its duplicates inheritable while it creates
// its child. Children that Go starts (os/exec, which lists the handles a
// child inherits) catch nothing: the test fails if one does. Children of
// "legacy" code, CreateProcess with bInheritHandles=TRUE and no handle
// list, inherit every handle that is inheritable in this process at that
// moment: the figure is how many of them got one, over 1,000 handoffs (50
// in the everyday run), stated in docs/windows.md.
func TestReverseLeak(t *testing.T) {
	for _, tt := range []struct {
		name  string
		run   func(args []string) error
		leaks bool // a leak is the figure, not a failure
	}{
		{"os-exec", runGoChild, false},
		{"legacy", runLegacyChild, true},
	} {
		t.Run(tt.name, func(t *testing.T) { reverseLeak(t, tt.run, tt.leaks) })
	}
}

// runGoChild runs the test binary as a "legacy-child" with os/exec.
func runGoChild(args []string) error {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = helperEnv("legacy-child")
	return cmd.Run()
}

// runLegacyChild runs the test binary as a "legacy-child" with legacyStart.
func runLegacyChild(args []string) error {
	p, err := legacyStart(args)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(p)
	windows.WaitForSingleObject(p, uint32(helperTimeout/time.Millisecond))
	return nil
}

func reverseLeak(t *testing.T, run func(args []string) error, leaks bool) {
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
				if err := run([]string{result, strconv.Itoa(int(self)), strings.Join(vals, ",")}); err != nil {
					t.Errorf("legacy child: %v", err)
					return
				}
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
	// or a process handle on this process: a lifeline.
	var children, errs, leaky, evs, lifelines int
	var example string
	for _, tl := range tallies {
		children += tl.children
		errs += tl.errs
		for _, r := range tl.reports {
			l := 0
			for _, pid := range r.Processes {
				if pid == self {
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
	t.Logf("FIGURE reverse leak: %d of %d %s children got handoff's handles (%d events, %d lifelines) over %d handoffs in %v",
		leaky, children, strings.TrimPrefix(t.Name(), "TestReverseLeak/"), evs, lifelines, launches, took)
	if leaky > 0 && !leaks {
		t.Errorf("%d legacy children inherited handoff's handles; one saw %s", leaky, example)
	}
	if children < 10 {
		t.Errorf("only %d legacy children ran during the handoffs: the test proves little", children)
	}
	if errs > 0 {
		t.Errorf("%d legacy children did not report", errs)
	}
}

// TestWaitOutput: with a Stdout that is not a file, Start copies the
// child's output through a pipe, as os/exec does, and Wait returns once the
// copy has ended, with the whole output.
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
		h.Cmd.Process.Kill()
		<-done
		t.Fatalf("Wait() still waits %v after Start", wakeTimeout)
	}
	if got, want := out.String(), "said\n"; got != want {
		t.Errorf("child's output = %q, want %q", got, want)
	}
}
