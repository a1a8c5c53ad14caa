//go:build linux && !handoff_pipe

package handoff

// The fixtures of the fault contract (faults_test.go) on Linux: helpers
// driven step by step, processes marked with a token, pidfds to see them
// gone, and this process as the subreaper of a killed parent's children,
// so that it reads their exit status.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerHelper("stress-parent", helperStressParent, "stress-child", "exit-at-once")
	registerHelper("stress-child", helperStressChild)
	registerHelper("stepwise", helperStepwise)
	registerHelper("hang", helperHang)
	faultPlatform.modes = []string{"pdeathsig", "lifeline"}
	faultPlatform.vias = []string{"library", "handoff-parent"}
	faultPlatform.track = linuxFaultTrack
	faultPlatform.killParent = killParentOnce
	faultPlatform.killChild = killChildOnce
	faultPlatform.hang = hangOnce
	faultPlatform.killed = func(err error, _ bool) (bool, string) {
		const want = "an *exec.ExitError \"signal: killed\""
		var ee *exec.ExitError
		var ws syscall.WaitStatus
		if errors.As(err, &ee) {
			ws, _ = ee.Sys().(syscall.WaitStatus)
		}
		return ee != nil && ws.Signaled() && ws.Signal() == syscall.SIGKILL && err.Error() == "signal: killed", want
	}
}

// linuxFaultTrack marks the processes of each repetition with a token of
// their own (HANDOFF_TEST_TOKEN), under one that newToken checks at the end
// of the test.
func linuxFaultTrack(t *testing.T) func(rep int) faultRep {
	t.Helper()
	token := newToken(t)
	return func(rep int) faultRep {
		repToken := fmt.Sprintf("%s.%s.%d", token, strings.ReplaceAll(t.Name(), "/", "."), rep)
		return faultRep{
			env: func(helper string, more ...string) []string { return tokenEnv(repToken, helper, more...) },
			left: func(wait time.Duration) []string {
				end := time.Now().Add(wait)
				left := leftovers(repToken)
				for len(left) > 0 && time.Now().Before(end) {
					time.Sleep(10 * time.Millisecond)
					left = leftovers(repToken)
				}
				killAll(left)
				var s []string
				for _, p := range left {
					s = append(s, p.String())
				}
				return s
			},
		}
	}
}

// --- helper processes ----------------------------------------------------------

// word names what err is, in one word, for a helper's output line.
func word(err error) string {
	switch {
	case err == nil:
		return "signaled"
	case errors.Is(err, ErrBadValue):
		return "bad-value"
	case errors.Is(err, ErrNotInherited):
		return "not-inherited"
	case errors.Is(err, ErrWrongType):
		return "wrong-type"
	case errors.Is(err, ErrParentGone):
		return "parent-gone"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "other"
}

// exitCodeOf is the exit code of a helper child that failed with err: those
// of handoff-child (internal/exitcode).
func exitCodeOf(err error) int {
	switch word(err) {
	case "signaled":
		return 0
	case "bad-value":
		return 3
	case "not-inherited":
		return 4
	case "wrong-type":
		return 5
	case "parent-gone":
		return exitParentGone
	case "timeout":
		return exitTimeout
	}
	return 1
}

// helperStressParent is the parent of the parent-kill tests. It prepares a
// Handoff of a "stress-child", says "parent: ready", and then does one step
// per command on its standard input: "handoff" (a whole handoff of an
// "exit-at-once" child, started and waited for; then says "parent: handed
// off"), "start" (then says "parent: started PID"), "set" (then says
// "parent: set"). It waits for the next command until it is killed. With
// args[0] == "lifeline" the child's death signal is made harmless
// (SIGWINCH), so that what ends the child is the lifeline alone.
func helperStressParent(args []string) {
	ev, err := NewEvent()
	if err != nil {
		fmt.Printf("parent: %v\n", err)
		os.Exit(1)
	}
	cmd := exec.Command(os.Args[0], "{event}", "{parent}")
	cmd.Env = helperEnv("stress-child")
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if args[0] == "lifeline" {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGWINCH}
	}
	h := Command(cmd)
	h.Pass("event", ev)
	fmt.Println("parent: ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "handoff":
			once := Command(exec.Command(os.Args[0], "{event}", "{parent}"))
			once.Cmd.Env = helperEnv("exit-at-once")
			once.Pass("event", ev)
			if err := once.Start(); err != nil {
				fmt.Printf("parent: handoff: %v\n", err)
				os.Exit(1)
			}
			if err := once.Wait(); err != nil {
				fmt.Printf("parent: handoff: %v\n", err)
				os.Exit(1)
			}
			fmt.Println("parent: handed off")
		case "start":
			if err := h.Start(); err != nil {
				fmt.Printf("parent: start: %v\n", err)
				os.Exit(1)
			}
			fmt.Printf("parent: started %d\n", cmd.Process.Pid)
		case "set":
			if err := ev.Set(); err != nil {
				fmt.Printf("parent: set: %v\n", err)
				os.Exit(1)
			}
			fmt.Println("parent: set")
		}
	}
	// Standard input closed: the test is done with this parent.
	if cmd.Process != nil {
		cmd.Process.Kill()
		h.Wait()
	}
}

// helperStressChild opens its event and lifeline, says "child: verified",
// waits, and says "child: woke WHAT MONOTONIC". It exits 0 only if the event
// was set; then, with HANDOFF_TEST_LINGER set, only after 30 s, so that it is
// still running when its parent is killed.
func helperStressChild(args []string) {
	ev, err := OpenEvent(args[0])
	var parent *Lifeline
	if err == nil {
		parent, err = OpenLifeline(args[1])
	}
	if err != nil {
		fmt.Printf("child: refused %s %d %v\n", word(err), monotonic(), err)
		os.Exit(exitCodeOf(err))
	}
	fmt.Println("child: verified")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = ev.WaitParent(ctx, parent)
	fmt.Printf("child: woke %s %d\n", word(err), monotonic())
	if err != nil {
		os.Exit(exitCodeOf(err))
	}
	if os.Getenv("HANDOFF_TEST_LINGER") != "" {
		time.Sleep(30 * time.Second)
	}
}

// helperStepwise is a child that takes one step per command read from the
// FIFO named by HANDOFF_TEST_CONTROL: it says "stepwise: up PID"; on
// "verify" it opens its event and lifeline and says "stepwise: verified"; on
// "wait" it waits and says "stepwise: woke WHAT"; on "exit" it exits 0.
func helperStepwise(args []string) {
	ctl, err := os.Open(os.Getenv("HANDOFF_TEST_CONTROL"))
	if err != nil {
		fmt.Printf("stepwise: %v\n", err)
		os.Exit(1)
	}
	in := bufio.NewScanner(ctl)
	next := func(want string) {
		if !in.Scan() || in.Text() != want {
			fmt.Printf("stepwise: command %q, want %q\n", in.Text(), want)
			os.Exit(1)
		}
	}
	fmt.Printf("stepwise: up %d\n", os.Getpid())
	next("verify")
	ev, err := OpenEvent(args[0])
	var parent *Lifeline
	if err == nil {
		parent, err = OpenLifeline(args[1])
	}
	if err != nil {
		fmt.Printf("stepwise: refused %s %v\n", word(err), err)
		os.Exit(exitCodeOf(err))
	}
	fmt.Println("stepwise: verified")
	next("wait")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = ev.WaitParent(ctx, parent)
	fmt.Printf("stepwise: woke %s\n", word(err))
	if err != nil {
		os.Exit(exitCodeOf(err))
	}
	next("exit")
}

// helperHang opens its event and lifeline, says "hang: up PID", and then
// never exits on its own: it ignores the event, SIGTERM and SIGINT.
func helperHang(args []string) {
	signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
	if _, err := OpenEvent(args[0]); err != nil {
		os.Exit(exitCodeOf(err))
	}
	if _, err := OpenLifeline(args[1]); err != nil {
		os.Exit(exitCodeOf(err))
	}
	fmt.Printf("hang: up %d\n", os.Getpid())
	for {
		time.Sleep(time.Hour)
	}
}

// --- the faults ----------------------------------------------------------------

// killParentOnce runs a "stress-parent" to step and kills it with SIGKILL
// there. This process is the subreaper of the parent's children: once the
// parent is reaped, it waits for each with a pidfd and reaps it.
func killParentOnce(t *testing.T, env helperEnvFunc, step, mode string, _ int, delay time.Duration) (k parentKill, err error) {
	t.Helper()
	beSubreaper(t)
	var more []string
	if step == "after-set" {
		more = append(more, "HANDOFF_TEST_LINGER=1")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], mode)
	cmd.Env = env("stress-parent", more...)
	cmd.Stdout = w
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out := readLines(r)
	defer out.close()
	defer stdin.Close()
	reaped := false
	defer func() {
		if !reaped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	send := func(s string) { fmt.Fprintln(stdin, s) }

	childPid := 0
	if _, err := out.expect("parent: ready"); err != nil {
		return k, err
	}
	switch step {
	case "before-start":
		send("handoff")
		if _, err := out.expect("parent: handed off"); err != nil {
			return k, err
		}
	case "during-start":
		send("start")
		time.Sleep(delay)
	case "after-start", "after-verify", "after-set":
		send("start")
		s, err := out.expect("parent: started ")
		if err != nil {
			return k, err
		}
		childPid, _ = strconv.Atoi(s)
	}
	if step == "after-verify" || step == "after-set" {
		if _, err := out.expect("child: verified"); err != nil {
			return k, err
		}
	}
	if step == "after-set" {
		send("set")
		if _, err := out.expect("child: woke signaled"); err != nil {
			return k, err
		}
	}
	pidfd := -1
	if childPid != 0 {
		// The parent is alive: the child is running, or a zombie the
		// parent has not waited for; its pid cannot have been reused.
		if pidfd, err = pidfdOpen(t, childPid); err != nil {
			return k, err
		}
	}

	k.killed = monotonic()
	cmd.Process.Kill()
	cmd.Wait() // the parent is gone: its children are this process's now
	reaped = true
	k.parentTook, k.parentGone = time.Duration(monotonic()-k.killed), true

	// The parent's children: the child, unless the parent was killed
	// before it forked it, and perhaps the probe of os.StartProcess, which
	// clones a process that exits 0 at once, without exec, to learn whether
	// CLONE_PIDFD works (syscall.doCheckClonePidfd): the parent may die
	// before it reaps it.
	children := adopted()
	if childPid != 0 && !slices.Contains(children, childPid) {
		return k, fmt.Errorf("the child %d of the killed parent was not adopted (children %v)", childPid, children)
	}
	for _, pid := range children {
		fd := pidfd
		if pid != childPid {
			if fd, err = pidfdOpen(t, pid); err != nil {
				return k, err
			}
		}
		at, ok := waitGone(fd, 2*faultLimit)
		if !ok {
			unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
			waitGone(fd, 5*time.Second)
		}
		probe := neverExeced(pid)
		ws, err := reap(pid)
		if err != nil {
			return k, err
		}
		if probe && ws.Exited() && ws.ExitStatus() == 0 {
			continue
		}
		k.ends = append(k.ends, procEnd{what: "child", pid: pid, gone: ok, took: time.Duration(at - k.killed), exit: &procExit{
			exited: ws.Exited(), code: ws.ExitStatus(), kill: ws.Signaled() && ws.Signal() == unix.SIGKILL, desc: fmt.Sprint(syscall.WaitStatus(ws)),
		}})
	}
	out.drain(time.Second)
	if step == "during-start" {
		_, started := out.find("parent: started ")
		k.landedKnown, k.forked, k.started = true, len(children) > 0, started
	}
	for _, s := range out.seen {
		var w childWoke
		var rest string
		switch {
		case strings.HasPrefix(s, "child: woke "):
			rest = strings.TrimPrefix(s, "child: woke ")
		case strings.HasPrefix(s, "child: refused "):
			rest, w.refused = strings.TrimPrefix(s, "child: refused "), true
		default:
			continue
		}
		fmt.Sscan(rest, &w.word, &w.at)
		k.woke = append(k.woke, w)
	}
	k.output = strings.Join(out.seen, "\n")
	return k, nil
}

// killChildOnce starts a "stepwise" child, from this process or from
// handoff-parent, takes it to step and kills it there with SIGKILL.
func killChildOnce(t *testing.T, env helperEnvFunc, step, via, program string) (k childKill, err error) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "control")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Read-write: opening does not wait for the child, and writing does
	// not fail once the child is gone.
	ctl, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cenv := env("stepwise", "HANDOFF_TEST_CONTROL="+fifo)
	var (
		ev     *Event
		wait   func() error
		stderr bytes.Buffer
		cmd    *exec.Cmd
	)
	if via == "library" {
		ev = testEvent(t)
		cmd = exec.Command(os.Args[0], "{event}", "{parent}")
		cmd.Env = cenv
		cmd.Stdout = w
		cmd.Stderr = os.Stderr
		h := Command(cmd)
		h.Pass("event", ev)
		if err := h.Start(); err != nil {
			t.Fatalf("Start: %v", err)
		}
		wait = h.Wait
	} else {
		cmd = startViaProgram(t, program, 20*time.Second, cenv, w, &stderr)
		wait = cmd.Wait
	}
	w.Close()
	out := readLines(r)
	defer out.close()
	waited := false
	defer func() {
		if !waited {
			cmd.Process.Kill()
			wait()
		}
	}()
	send := func(s string) { fmt.Fprintln(ctl, s) }

	s, err := out.expect("stepwise: up ")
	if err != nil {
		return k, err
	}
	pid, _ := strconv.Atoi(s)
	pidfd, err := pidfdOpen(t, pid)
	if err != nil {
		return k, err
	}
	if step != "before-verify" {
		send("verify")
		if _, err := out.expect("stepwise: verified"); err != nil {
			return k, err
		}
		send("wait")
	}
	if step == "after-set" || step == "none" {
		if ev != nil {
			ev.Set()
		}
		if _, err := out.expect("stepwise: woke signaled"); err != nil {
			return k, err
		}
	}
	killed := monotonic()
	if step == "none" {
		send("exit")
	} else if err := unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0); err != nil {
		return k, fmt.Errorf("pidfd_send_signal: %w", err)
	}
	k.waitErr = waitWithin(cmd, wait, 10*time.Second)
	waited = true
	k.took = time.Duration(monotonic() - killed)
	_, gone := waitGone(pidfd, 0)
	k.running = !gone
	out.drain(100 * time.Millisecond)
	_, k.woke = out.find("stepwise: woke ")
	k.stderr = stderr.String()
	return k, nil
}

// hangOnce starts a "hang" child under a deadline: a context of
// exec.CommandContext that ends deadline after Start, or handoff-parent's
// -timeout.
func hangOnce(t *testing.T, env helperEnvFunc, via, program string) (h hangRun, err error) {
	t.Helper()
	const deadline = 100 * time.Millisecond
	h.deadline = deadline
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var (
		cmd    *exec.Cmd
		wait   func() error
		ctx    context.Context
		stderr bytes.Buffer
	)
	start := time.Now()
	if via == "library" {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), deadline)
		defer cancel()
		cmd = exec.CommandContext(ctx, os.Args[0], "{event}", "{parent}")
		cmd.Env = env("hang")
		cmd.Stdout = w
		cmd.Stderr = os.Stderr
		ev := testEvent(t)
		hd := Command(cmd)
		hd.Pass("event", ev)
		if err := hd.Start(); err != nil {
			t.Fatalf("Start: %v", err)
		}
		ev.Set()
		wait = hd.Wait
	} else {
		cmd = startViaProgram(t, program, deadline, env("hang"), w, &stderr)
		wait = cmd.Wait
	}
	w.Close()
	out := readLines(r)
	defer out.close()
	h.waitErr = waitWithin(cmd, wait, deadline+5*time.Second)
	h.late = time.Since(start) - deadline
	h.ctxEnded = ctx != nil && ctx.Err() == context.DeadlineExceeded
	// A child the deadline ended before it said it was up is not looked
	// for here: the repetition's leftovers are.
	out.drain(time.Second)
	if s, ok := out.find("hang: up "); ok {
		pid, _ := strconv.Atoi(s)
		h.running = running(pid)
	}
	h.stderr = stderr.String()
	return h, nil
}

// startViaProgram starts program (handoff-parent) with -timeout timeout
// and the test binary as its child, with env, stdout and stderr.
func startViaProgram(t *testing.T, program string, timeout time.Duration, env []string, stdout io.Writer, stderr *bytes.Buffer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(program, "-timeout", timeout.String(), "--", os.Args[0], "{event}", "{parent}")
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// waitWithin runs wait, killing cmd if it has not returned after limit.
func waitWithin(cmd *exec.Cmd, wait func() error, limit time.Duration) error {
	timer := time.AfterFunc(limit, func() { cmd.Process.Kill() })
	err := wait()
	if !timer.Stop() {
		return fmt.Errorf("still waiting after %v (killed): %w", limit, err)
	}
	return err
}
