package handoff

// The fixtures of the fault contract (faults_test.go) on Windows: helpers
// that stop at a step and report, processes watched by handle, and the
// processes of the test binary started since a
// repetition began as its leftovers. What a child's WaitParent returned is
// in a file it writes then; its exit status cannot tell it (a process its
// job ends exits 0 under Wine 8).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

func init() {
	registerHelper("fault-parent", helperFaultParent, "exit", "fault-child")
	registerHelper("fault-child", helperFaultChild)
	registerHelper("hang-child", helperHangChild, "sleep")
	registerHelper("sleep", func([]string) { time.Sleep(time.Hour) })
	faultPlatform.modes = []string{"job"}
	// cmd/handoff-parent's .exe and its child under Wine are internal/e2e's.
	faultPlatform.vias = []string{"library"}
	faultPlatform.track = func(t *testing.T) func(int) faultRep {
		return func(int) faultRep {
			since := time.Now()
			return faultRep{
				env: func(helper string, more ...string) []string { return helperEnv(helper, more...) },
				left: func(wait time.Duration) []string {
					_, left := leftovers(t, since, wait)
					return left
				},
			}
		}
	}
	faultPlatform.killParent = killParentWindows
	faultPlatform.killChild = killChildWindows
	faultPlatform.hang = hangWindows
	faultPlatform.killed = func(err error, byTest bool) (bool, string) {
		// The test's TerminateProcess gives its code; os.Process.Kill, at
		// the hanging child's deadline, 1.
		code, want := uint32(1), "an *exec.ExitError with exit status 1 (os.Process.Kill's)"
		if byTest {
			code, want = childKillCode, fmt.Sprintf("an *exec.ExitError with exit status %d (TerminateProcess's)", childKillCode)
		}
		var ee *exec.ExitError
		return errors.As(err, &ee) && uint32(ee.ExitCode()) == code, want
	}
}

// childKillCode is the exit code the test's TerminateProcess gives a child.
const childKillCode = 0xDEAD

// faultReport is what a "fault-parent" reports once it reached its step.
type faultReport struct {
	Pid      int    `json:"pid"`
	ChildPid int    `json:"child_pid,omitempty"`
	Err      string `json:"err,omitempty"`
}

// faultChildReport is what a "fault-child" writes to its result file when
// WaitParent returns, and only then.
type faultChildReport struct {
	Err string `json:"err"`
	At  int64  `json:"at"` // wall clock, ns: monotonic's clock on Windows
}

// helperFaultParent hands an event and the lifeline to a "fault-child" and
// stops at step $HANDOFF_FAULT_STEP, reports, and waits to be killed:
// "before-start" (after one whole handoff), "after-start" (Start
// returned), "after-verify" (the child verified its handles and waits),
// "after-set" (the child woke and lingers). At "during-start", it reports
// at once and starts children that exit at once, one after the other,
// until killed: the kill then falls anywhere in Start.
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
		lines := bufio.NewReader(out)
		if step != "after-start" {
			if line, err := lines.ReadString('\n'); line != "waiting\n" {
				r.Err = fmt.Sprintf("child said %q, %v", line, err)
			}
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
// "started" first and waits to be killed there. When WaitParent returns, it
// writes a faultChildReport to $HANDOFF_RESULT; if the event was set, it
// says "woke" and lingers until killed, or with $HANDOFF_FAULT_EXIT set
// exits 0; otherwise it exits 4.
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
	if os.Getenv("HANDOFF_FAULT_EXIT") != "" {
		return
	}
	time.Sleep(time.Hour)
}

// hangReport is what a "hang-child" reports before it hangs.
type hangReport struct {
	Grandchild int `json:"grandchild"`
}

// helperHangChild opens its event and lifeline, starts a grandchild that
// sleeps, reports its pid, and hangs: it ignores its event, never exits.
func helperHangChild(args []string) {
	mustOpen(args)
	cmd := exec.Command(os.Args[0])
	cmd.Env = helperEnv("sleep")
	if err := cmd.Start(); err != nil {
		helperFatal("%v", err)
	}
	emit(hangReport{Grandchild: cmd.Process.Pid})
	time.Sleep(time.Hour)
}

// wokeWord is the word of faults_test.go for an errName.
func wokeWord(name string) string {
	switch name {
	case "nil":
		return "signaled"
	case "ErrParentGone":
		return "parent-gone"
	}
	return name
}

// killParentWindows runs a "fault-parent" to step and kills it there
// (TerminateProcess), and watches its child end.
func killParentWindows(t *testing.T, env helperEnvFunc, step, _ string, rep int, _ time.Duration) (k parentKill, err error) {
	t.Helper()
	result := filepath.Join(tempDir(t), "child.json")
	cmd := exec.Command(os.Args[0])
	cmd.Env = env("fault-parent", "HANDOFF_FAULT_STEP="+step, "HANDOFF_RESULT="+result)
	parent, lines := startWatched(t, cmd)
	var r faultReport
	readReport(t, lines, &r, helperTimeout)
	k.output = fmt.Sprintf("%+v", r)
	if r.Err != "" {
		return k, fmt.Errorf("fault-parent: %s", r.Err)
	}
	type watched struct {
		what string
		pid  int
		h    windows.Handle
	}
	var procs []watched
	if r.ChildPid != 0 {
		procs = append(procs, watched{"child", r.ChildPid, watch(t, "child", r.ChildPid)})
	}
	if step == "during-start" {
		// Anywhere in the first handoffs: one takes ~50ms here.
		time.Sleep(time.Duration(rep%20) * 10 * time.Millisecond)
	}

	if err := windows.TerminateProcess(parent, 0xBAD); err != nil {
		t.Fatalf("TerminateProcess(parent) = %v", err)
	}
	k.killed = monotonic()
	since := func() time.Duration { return time.Duration(monotonic() - k.killed) }
	// Each wait goes well past the bound, so that a slow end is measured
	// and reported as slow rather than cut at the bound.
	_, k.parentGone = waitGone(parent, 5*faultLimit)
	k.parentTook = since()
	for _, p := range procs {
		_, ok := waitGone(p.h, 5*faultLimit-since())
		k.ends = append(k.ends, procEnd{what: p.what, pid: p.pid, gone: ok, took: since()})
	}

	// The child writes its report only when WaitParent returns.
	b, err := os.ReadFile(result)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return k, err
	default:
		var cr faultChildReport
		if err := json.Unmarshal(b, &cr); err != nil {
			return k, fmt.Errorf("child reported %q: %v", b, err)
		}
		k.woke = append(k.woke, childWoke{word: wokeWord(cr.Err), at: cr.At})
		k.output += " " + string(b)
	}
	return k, nil
}

// killChildWindows starts a "fault-child" from this process, takes it to
// step and kills it there from outside (TerminateProcess with
// childKillCode): "before-verify" once it said "started" (not right after
// Start: under Wine 8, a process killed before its Unix side has joined
// the wineserver can leave that Unix process behind, holding go test's
// output pipe, "Test I/O incomplete"), "before-set" once it said
// "waiting", "after-set" once it said "woke"; at "none", it exits 0 once
// it woke.
func killChildWindows(t *testing.T, env helperEnvFunc, step, _, _ string) (k childKill, err error) {
	t.Helper()
	result := filepath.Join(tempDir(t), "child.json")
	ev := testEvent(t)
	more := []string{"HANDOFF_RESULT=" + result}
	switch step {
	case "before-verify":
		more = append(more, "HANDOFF_FAULT_PAUSE=1")
	case "none":
		more = append(more, "HANDOFF_FAULT_EXIT=1")
	}
	cmd := exec.Command(os.Args[0], "{event}", "{parent}")
	cmd.Env = env("fault-child", more...)
	h := Command(cmd)
	h.Pass("event", ev)
	lines, waited := startHandoff(t, h)
	child := watch(t, "child", cmd.Process.Pid)
	expect := func(want string) error {
		select {
		case line, ok := <-lines:
			if !ok || string(line) != want {
				return fmt.Errorf("child said %q (open %v), want %q", line, ok, want)
			}
		case <-time.After(helperTimeout):
			return fmt.Errorf("child did not say %q in %v", want, helperTimeout)
		}
		return nil
	}
	switch step {
	case "before-verify":
		err = expect("started")
	case "before-set":
		err = expect("waiting")
	case "after-set", "none":
		if err = expect("waiting"); err != nil {
			break
		}
		if err = ev.Set(); err != nil {
			break
		}
		err = expect("woke")
	}
	if err != nil {
		return k, err
	}
	if step != "none" {
		if err := windows.TerminateProcess(child, childKillCode); err != nil {
			t.Fatalf("TerminateProcess(child) = %v", err)
		}
	}
	killed := time.Now()
	done := make(chan error, 1)
	*waited = true
	go func() { done <- h.Wait() }()
	select {
	case k.waitErr = <-done:
		k.took = time.Since(killed)
	case <-time.After(helperTimeout):
		t.Fatalf("Wait() still waits %v after the child was killed", helperTimeout)
	}
	k.running = running(child)
	_, err = os.Stat(result)
	k.woke = err == nil
	return k, nil
}

// hangWindows starts a "hang-child" under a context that ends 300ms after
// the child has reported its grandchild, and kills the child then
// (context.AfterFunc and Process.Kill: Start refuses a Cmd of
// exec.CommandContext on Windows, whose context it cannot see). The 300ms
// run from the report, not from Start, so that a start slowed by load
// cannot use them up before the child has told its grandchild's pid.
func hangWindows(t *testing.T, env helperEnvFunc, _, _ string) (hr hangRun, err error) {
	t.Helper()
	const deadline = 300 * time.Millisecond
	hr.deadline = deadline
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.Command(os.Args[0], "{event}", "{parent}")
	cmd.Env = env("hang-child")
	h := Command(cmd)
	h.Pass("event", testEvent(t))
	lines, waited := startHandoff(t, h)
	defer context.AfterFunc(ctx, func() { cmd.Process.Kill() })()
	child := watch(t, "child", cmd.Process.Pid)
	var r hangReport
	readReport(t, lines, &r, helperTimeout)
	grandchild := watch(t, "grandchild", r.Grandchild)
	began := time.Now()
	defer time.AfterFunc(deadline, cancel).Stop()
	*waited = true
	hr.waitErr = h.Wait()
	hr.late = time.Since(began) - deadline
	hr.ctxEnded = ctx.Err() != nil
	hr.running = running(child)
	d, ok := waitGone(grandchild, 5*faultLimit)
	hr.grandchild = &procEnd{what: "grandchild", pid: r.Grandchild, gone: ok, took: d}
	return hr, nil
}
