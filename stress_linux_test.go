//go:build linux && !handoff_pipe

package handoff

// Hardening tests (Linux): wrong values beyond TestOpenRefuses, the parent
// or the child killed at each step, a child that hangs; and the fuzz
// fixtures. With TestConcurrentLaunches (launches_test.go) and TestSoak
// (soak_test.go) they are the stress tests; each reports its figures with
// t.Logf; run them with -v to see them:
//
//	go test -race -v -run '^(TestConcurrentLaunches|TestKillParent|TestKillChild|TestHangingChild|TestSoak)$' .
//
// HANDOFF_STRESS=full repeats each fault 100 times instead of 10, and the 50
// launches 4 times.
//
// Every process these tests start carries HANDOFF_TEST_TOKEN=<random> in its
// environment; after each repetition, and at the end of each test, no
// process with the token may be left running.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
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
	registerHelper("stress-parent", helperStressParent, "stress-child")
	registerHelper("stress-child", helperStressChild)
	registerHelper("stepwise", helperStepwise)
	registerHelper("hang", helperHang)
	registerHelper("open-more", helperOpenMore)
	registerHelper("sleep", func([]string) { time.Sleep(time.Minute) })
	fuzzPlatform.fixtures = linuxFuzzFixtures
	fuzzPlatform.state = fdState
	fuzzPlatform.open = openDescriptors
	trackedEnv = func(t *testing.T) func(helper string) []string {
		t.Helper()
		token := newToken(t)
		return func(helper string) []string { return tokenEnv(token, helper) }
	}
}

// stressReps is how many times each fault is repeated: 100 with
// HANDOFF_STRESS=full, 10 otherwise.
func stressReps() int {
	if os.Getenv("HANDOFF_STRESS") == "full" {
		return 100
	}
	return 10
}

// goneLimit is how soon a child must be gone once its parent was killed.
const goneLimit = time.Second

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
		return 6
	case "timeout":
		return 7
	}
	return 1
}

const exitParentGone = 6

// helperStressParent is the parent of the parent-kill tests. It prepares a
// Handoff of a "stress-child", says "parent: ready", and then does one step
// per command on its standard input: "start" (then says "parent: started
// PID"), "set" (then says "parent: set"). It waits for the next command until
// it is killed. With args[0] == "lifeline" the child's death signal is made
// harmless (SIGWINCH), so that what ends the child is the lifeline alone.
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

// --- 1. fuzz fixtures ----------------------------------------------------------

// linuxFuzzFixtures makes descriptors that look inherited (no close-on-exec),
// from fuzzFixtureMin up: an eventfd (event 900), a pidfd of this process's
// parent (lifeline 901), a pidfd of this process (902: not the parent), a
// regular file (903) and a socket (904). Descriptors this process itself
// inherited, such as a fuzz worker's pipes, are made close-on-exec first, as
// Start does, so that nothing else looks inherited.
func linuxFuzzFixtures(tb testing.TB) []fuzzFixture {
	tb.Helper()
	if err := closeOnExecFrom(3); err != nil {
		tb.Fatal(err)
	}
	var fixtures []fuzzFixture
	add := func(name string, fd int, err error, event, lifeline error) {
		tb.Helper()
		fixtures = append(fixtures, unixFuzzFixture(tb, name, fd, err, event, lifeline,
			// Pretend the fixture was inherited: OpenEvent accepts only
			// descriptors open when the package was initialized.
			func(nfd int, _ *unix.Stat_t) func() {
				inherited[nfd] = identify(nfd)
				return func() { delete(inherited, nfd) }
			},
			func(h uintptr, nfd int, st *unix.Stat_t) bool {
				var got unix.Stat_t
				same, err := kcmpSame(os.Getpid(), int(h), os.Getpid(), nfd)
				return same && err == nil && unix.Fstat(int(h), &got) == nil && got.Dev == st.Dev && got.Ino == st.Ino
			}))
	}
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	add("an eventfd", fd, err, nil, ErrWrongType)
	fd, err = unix.PidfdOpen(os.Getppid(), 0)
	add("a pidfd of the parent", fd, err, ErrWrongType, nil)
	fd, err = unix.PidfdOpen(os.Getpid(), 0)
	add("a pidfd of this process", fd, err, ErrWrongType, ErrParentGone)
	fd, err = unix.Open(os.Args[0], unix.O_RDONLY|unix.O_CLOEXEC, 0)
	add("a regular file", fd, err, ErrWrongType, ErrWrongType)
	fd, err = unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	add("a socket", fd, err, ErrWrongType, ErrWrongType)
	return fixtures
}

// openDescriptors lists the descriptors open in this process.
func openDescriptors() []uintptr {
	entries, _ := os.ReadDir("/proc/self/fd")
	var fds []uintptr
	for _, e := range entries {
		if fd, err := strconv.ParseUint(e.Name(), 10, 31); err == nil {
			fds = append(fds, uintptr(fd))
		}
	}
	return fds
}

// fdState describes descriptor v: its flags and what /proc says it is.
func fdState(v uintptr) string {
	if v > math.MaxInt32 {
		return "no descriptor"
	}
	flags, err := unix.FcntlInt(v, unix.F_GETFD, 0)
	if err != nil {
		return err.Error()
	}
	target, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", v))
	return fmt.Sprintf("flags %#x %s", flags, target)
}

// --- 2. faults -------------------------------------------------------------------

// faultFigures collects the figures of one fault repeated.
type faultFigures struct {
	reps, failures int
	maxGone        time.Duration // the longest time a repetition reports
}

// repeat runs fault stressReps times, each with its own token, and checks
// that no process with the token is left afterwards.
func repeat(t *testing.T, token, figure string, fault func(rep int, token string) (gone time.Duration, err error)) {
	t.Helper()
	repeatMore(t, token, figure, nil, fault)
}

// repeatMore is repeat that goes on past stressReps, up to 10 times as
// many, while more, if not nil, says so.
func repeatMore(t *testing.T, token, figure string, more func() bool, fault func(rep int, token string) (gone time.Duration, err error)) {
	t.Helper()
	var f faultFigures
	for rep := 0; rep < stressReps() || more != nil && more() && rep < 10*stressReps(); rep++ {
		repToken := fmt.Sprintf("%s.%s.%d", token, strings.ReplaceAll(t.Name(), "/", "."), rep)
		gone, err := fault(rep, repToken)
		if left := leftovers(repToken); len(left) > 0 {
			killAll(left)
			err = errors.Join(err, fmt.Errorf("processes left running: %s", left))
		}
		f.reps++
		f.maxGone = max(f.maxGone, gone)
		if err != nil {
			f.failures++
			if f.failures <= 3 {
				t.Errorf("repetition %d: %v", rep, err)
			}
		}
	}
	t.Logf("%s: %d repetitions, %d failures, %s %v",
		t.Name(), f.reps, f.failures, figure, f.maxGone.Round(time.Microsecond))
}

// TestKillParent kills the parent at each step: before Start, during Start
// (a delay after asking for it that follows Start's window; the test counts
// where each kill landed, repeats until 3 landed during Start, and fails if
// none did), right after Start, after the child
// verified its handles, and after Set while the child still runs. The child
// must never exit 0 unless the event was set, and must be gone, or have
// exited "parent gone", within 1 s. "pdeathsig" is the default Handoff;
// "lifeline" makes the child's death signal harmless, so that the child ends
// by the lifeline alone. This process is the subreaper of the parent's
// children, so it reads their exit status.
func TestKillParent(t *testing.T) {
	beSubreaper(t)
	token := newToken(t)
	tests := []struct{ step, mode string }{
		{"before-start", "pdeathsig"},
		{"during-start", "pdeathsig"},
		{"after-start", "pdeathsig"},
		{"after-verify", "pdeathsig"},
		{"after-set", "pdeathsig"},
		{"during-start", "lifeline"},
		{"after-start", "lifeline"},
		{"after-verify", "lifeline"},
	}
	for _, tt := range tests {
		t.Run(tt.step+"/"+tt.mode, func(t *testing.T) {
			// During Start, go on until 3 kills have landed in it: on a
			// quiet machine Start's window is well under a millisecond.
			var when killTiming
			var more func() bool
			if tt.step == "during-start" {
				more = func() bool { return when.during < 3 }
			}
			repeatMore(t, token, "max time to child gone", more, func(rep int, token string) (time.Duration, error) {
				return killParentOnce(t, token, tt.step, tt.mode, &when)
			})
			if tt.step == "during-start" {
				t.Logf("the kill landed before Start forked in %d repetitions, during Start in %d, after Start returned in %d",
					when.before, when.during, when.after)
				if when.during == 0 {
					t.Errorf("no kill landed during Start (before %d, after %d): the step was not tested", when.before, when.after)
				}
			}
		})
	}
}

// killTiming counts where the kills of the during-start step landed, and
// holds the delay from asking for Start to the kill, which it moves toward
// Start's window by bisection: later after a kill that came before the
// fork, earlier after one that came once Start had returned, by a step that
// halves each time the direction turns.
type killTiming struct {
	delay, step           time.Duration
	last                  int // -1: the last move was earlier, +1: later
	before, during, after int
}

// landed records where a kill landed: before Start forked (the parent had no
// child), after Start returned (the parent said "started"), or during Start.
func (k *killTiming) landed(forked, started bool) {
	if k.step == 0 {
		k.step = 500 * time.Microsecond
	}
	move := 0
	switch {
	case !forked:
		k.before++
		move = +1
	case started:
		k.after++
		move = -1
	default:
		k.during++
		return
	}
	if k.last != 0 && move != k.last {
		k.step = max(k.step/2, 10*time.Microsecond)
	}
	k.last = move
	k.delay = max(0, k.delay+time.Duration(move)*k.step)
}

func killParentOnce(t *testing.T, token, step, mode string, when *killTiming) (gone time.Duration, err error) {
	t.Helper()
	var more []string
	if step == "after-set" {
		more = append(more, "HANDOFF_TEST_LINGER=1")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], mode)
	cmd.Env = tokenEnv(token, "stress-parent", more...)
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
		return 0, err
	}
	switch step {
	case "during-start":
		send("start")
		time.Sleep(when.delay)
	case "after-start", "after-verify", "after-set":
		send("start")
		s, err := out.expect("parent: started ")
		if err != nil {
			return 0, err
		}
		childPid, _ = strconv.Atoi(s)
	}
	if step == "after-verify" || step == "after-set" {
		if _, err := out.expect("child: verified"); err != nil {
			return 0, err
		}
	}
	if step == "after-set" {
		send("set")
		if _, err := out.expect("child: woke signaled"); err != nil {
			return 0, err
		}
	}
	pidfd := -1
	if childPid != 0 {
		// The parent is alive: the child is running, or a zombie the
		// parent has not waited for; its pid cannot have been reused.
		if pidfd, err = pidfdOpen(t, childPid); err != nil {
			return 0, err
		}
	}

	killed := monotonic()
	cmd.Process.Kill()
	cmd.Wait() // the parent is gone: its children are this process's now
	reaped = true

	// The parent's children: the child, unless the parent was killed
	// before it forked it, and perhaps the probe of os.StartProcess, which
	// clones a process that exits 0 at once, without exec, to learn whether
	// CLONE_PIDFD works (syscall.doCheckClonePidfd): the parent may die
	// before it reaps it.
	children := adopted()
	if step == "before-start" && len(children) > 0 {
		return 0, fmt.Errorf("the parent was killed before Start, yet it has children %v", children)
	}
	if childPid != 0 && !slices.Contains(children, childPid) {
		return 0, fmt.Errorf("the child %d of the killed parent was not adopted (children %v)", childPid, children)
	}
	var (
		errs   []error
		status = make(map[int]unix.WaitStatus)
	)
	for _, pid := range children {
		fd := pidfd
		if pid != childPid {
			if fd, err = pidfdOpen(t, pid); err != nil {
				return 0, err
			}
		}
		at, ok := waitGone(fd, 2*goneLimit)
		if !ok {
			unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
			waitGone(fd, 5*time.Second)
		}
		probe := neverExeced(pid)
		ws, err := reap(pid)
		if err != nil {
			return gone, err
		}
		if probe && ws.Exited() && ws.ExitStatus() == 0 {
			continue
		}
		status[pid] = ws
		took := time.Duration(at - killed)
		gone = max(gone, took)
		if !ok {
			errs = append(errs, fmt.Errorf("child %d still running %v after its parent was killed", pid, took))
		} else if took > goneLimit {
			errs = append(errs, fmt.Errorf("child %d gone %v after its parent was killed, want < %v", pid, took, goneLimit))
		}
	}
	if len(status) > 1 {
		errs = append(errs, fmt.Errorf("the killed parent had %d children, want at most 1: %v", len(status), status))
	}
	out.drain(time.Second)
	if step == "during-start" {
		_, started := out.find("parent: started ")
		when.landed(len(children) > 0, started)
	}
	signaled := false
	if s, ok := out.find("child: woke "); ok {
		signaled = strings.HasPrefix(s, "signaled ")
	}
	for _, prefix := range []string{"child: woke parent-gone ", "child: refused parent-gone "} {
		if s, ok := out.find(prefix); ok {
			var woke int64
			fmt.Sscan(s, &woke)
			if lag := time.Duration(woke - killed); lag > goneLimit {
				errs = append(errs, fmt.Errorf("child saw its parent gone %v after the kill, want < %v", lag, goneLimit))
			}
		}
	}
	for pid, ws := range status {
		switch {
		case ws.Exited() && ws.ExitStatus() == 0 && !(step == "after-set" && signaled):
			errs = append(errs, fmt.Errorf("child %d exited 0 though its event was not set (output %q)", pid, out.seen))
		case mode == "lifeline" && !(ws.Exited() && ws.ExitStatus() == exitParentGone):
			errs = append(errs, fmt.Errorf("child %d ended with %v, want exit %d (parent gone) (output %q)", pid, ws, exitParentGone, out.seen))
		case !ws.Exited() && ws.Signal() != unix.SIGKILL:
			errs = append(errs, fmt.Errorf("child %d ended with %v, want killed or an exit (output %q)", pid, ws, out.seen))
		case ws.Exited() && ws.ExitStatus() != 0 && ws.ExitStatus() != exitParentGone:
			errs = append(errs, fmt.Errorf("child %d exited %d, want 0 or %d (output %q)", pid, ws.ExitStatus(), exitParentGone, out.seen))
		}
	}
	return gone, errors.Join(errs...)
}

// TestKillChild kills the child at each step: after Start before it
// verified, after it verified before Set, and after Set before it exits.
// Handoff.Wait must report it as an *exec.ExitError saying "signal: killed";
// handoff-parent, if it builds, must exit 8 (child failed). "none" kills
// nothing, to show that the test tells the difference.
func TestKillChild(t *testing.T) {
	token := newToken(t)
	program := handoffParent(t)
	for _, via := range []string{"library", "handoff-parent"} {
		for _, step := range []string{"before-verify", "before-set", "after-set", "none"} {
			t.Run(via+"/"+step, func(t *testing.T) {
				if via == "handoff-parent" && program == "" {
					t.Skip("cmd/handoff-parent is not built (see the log of TestKillChild)")
				}
				parent := "library"
				if via == "handoff-parent" {
					parent = program
				}
				dir := t.TempDir()
				repeat(t, token, "max time from the kill to the parent's end", func(rep int, token string) (time.Duration, error) {
					return killChildOnce(t, token, filepath.Join(dir, strconv.Itoa(rep)), step, parent)
				})
			})
		}
	}
}

func killChildOnce(t *testing.T, token, fifo, step, via string) (time.Duration, error) {
	t.Helper()
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
	env := tokenEnv(token, "stepwise", "HANDOFF_TEST_CONTROL="+fifo)
	var (
		ev     *Event
		wait   func() error
		stderr bytes.Buffer
		cmd    *exec.Cmd
	)
	if via == "library" {
		ev = testEvent(t)
		cmd = exec.Command(os.Args[0], "{event}", "{parent}")
		cmd.Env = env
		cmd.Stdout = w
		cmd.Stderr = os.Stderr
		h := Command(cmd)
		h.Pass("event", ev)
		if err := h.Start(); err != nil {
			t.Fatalf("Start: %v", err)
		}
		wait = h.Wait
	} else {
		cmd = startViaProgram(t, via, 20*time.Second, env, w, &stderr)
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
		return 0, err
	}
	pid, _ := strconv.Atoi(s)
	pidfd, err := pidfdOpen(t, pid)
	if err != nil {
		return 0, err
	}
	if step != "before-verify" {
		send("verify")
		if _, err := out.expect("stepwise: verified"); err != nil {
			return 0, err
		}
		send("wait")
	}
	if step == "after-set" || step == "none" {
		if ev != nil {
			ev.Set()
		}
		if _, err := out.expect("stepwise: woke signaled"); err != nil {
			return 0, err
		}
	}
	killed := monotonic()
	if step == "none" {
		send("exit")
	} else if err := unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0); err != nil {
		return 0, fmt.Errorf("pidfd_send_signal: %w", err)
	}
	werr := waitWithin(cmd, wait, 10*time.Second)
	waited = true
	took := time.Duration(monotonic() - killed)
	if _, ok := waitGone(pidfd, 0); !ok {
		return took, fmt.Errorf("child %d still running after the parent's Wait returned", pid)
	}
	if took > goneLimit {
		return took, fmt.Errorf("the parent's Wait returned %v after the child was killed, want < %v", took, goneLimit)
	}

	var ee *exec.ExitError
	switch {
	case via == "library" && step == "none":
		if werr != nil {
			return took, fmt.Errorf("Wait = %v, want nil", werr)
		}
	case via == "library":
		var ws syscall.WaitStatus
		if errors.As(werr, &ee) {
			ws, _ = ee.Sys().(syscall.WaitStatus)
		}
		if ee == nil || !ws.Signaled() || ws.Signal() != syscall.SIGKILL || werr.Error() != "signal: killed" {
			return took, fmt.Errorf("Wait = %v, want an *exec.ExitError %q", werr, "signal: killed")
		}
	default:
		code := 0
		if errors.As(werr, &ee) {
			code = ee.ExitCode()
		} else if werr != nil {
			return took, werr
		}
		want := 8 // child failed
		if step == "none" {
			want = 0
		}
		if code != want {
			return took, fmt.Errorf("handoff-parent exited %d, want %d; stderr %q", code, want, stderr.String())
		}
	}
	return took, nil
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
		return fmt.Errorf("still waiting after %v (killed): %v", limit, err)
	}
	return err
}

// handoffParent builds cmd/handoff-parent into a temporary directory and
// returns its path, or "" if it is not there or does not build yet.
func handoffParent(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join("cmd", "handoff-parent", "main.go")); err != nil {
		t.Logf("cmd/handoff-parent: %v; not used", err)
		return ""
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Logf("no go command to build cmd/handoff-parent: %v; not used", err)
		return ""
	}
	exe := filepath.Join(t.TempDir(), "handoff-parent")
	build := exec.Command(goTool, "build", "-o", exe, "./cmd/handoff-parent")
	if out, err := build.CombinedOutput(); err != nil {
		t.Logf("go build ./cmd/handoff-parent: %v\n%s; not used", err, out)
		return ""
	}
	return exe
}

// TestHangingChild: a child that verified its handles and then never exits,
// ignoring its event and SIGTERM, is ended by its parent's deadline: a
// context given to exec.CommandContext, or handoff-parent's -timeout (exit
// 7). The figure is the time from the deadline to the parent's Wait
// returning.
func TestHangingChild(t *testing.T) {
	token := newToken(t)
	program := handoffParent(t)
	const deadline = 100 * time.Millisecond
	for _, via := range []string{"library", "handoff-parent"} {
		t.Run(via, func(t *testing.T) {
			if via == "handoff-parent" && program == "" {
				t.Skip("cmd/handoff-parent is not built (see the log of TestHangingChild)")
			}
			repeat(t, token, "max time from the deadline to the parent's end", func(rep int, token string) (time.Duration, error) {
				return hangOnce(t, token, deadline, via, program)
			})
		})
	}
}

func hangOnce(t *testing.T, token string, deadline time.Duration, via, program string) (time.Duration, error) {
	t.Helper()
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
		cmd.Env = tokenEnv(token, "hang")
		cmd.Stdout = w
		cmd.Stderr = os.Stderr
		ev := testEvent(t)
		h := Command(cmd)
		h.Pass("event", ev)
		if err := h.Start(); err != nil {
			t.Fatalf("Start: %v", err)
		}
		ev.Set()
		wait = h.Wait
	} else {
		cmd = startViaProgram(t, program, deadline, tokenEnv(token, "hang"), w, &stderr)
		wait = cmd.Wait
	}
	w.Close()
	out := readLines(r)
	defer out.close()
	werr := waitWithin(cmd, wait, deadline+5*time.Second)
	took := time.Since(start) - deadline

	// That the child is gone, repeat checks: no process with the token.
	var errs []error
	if took > time.Second {
		errs = append(errs, fmt.Errorf("the parent's Wait returned %v after the deadline, want < 1 s", took))
	}
	var ee *exec.ExitError
	errors.As(werr, &ee)
	if via == "library" {
		if ee == nil || werr.Error() != "signal: killed" || ctx.Err() != context.DeadlineExceeded {
			errs = append(errs, fmt.Errorf("Wait = %v (context: %v), want %q after the deadline", werr, ctx.Err(), "signal: killed"))
		}
	} else if ee == nil || ee.ExitCode() != 7 {
		errs = append(errs, fmt.Errorf("handoff-parent -timeout %v: %v, want exit 7 (timeout); stderr %q", deadline, werr, stderr.String()))
	}
	return took, errors.Join(errs...)
}

// --- 5. wrong values -------------------------------------------------------------

// helperOpenMore opens args[1] as args[0] ("event", "lifeline") and reports
// the error, like helperOpen; args[2] and args[3] are the values of the
// passed event and lifeline. A value starting with "own-", "closed-" or
// "reused-" first makes what it names, in the child:
//
//	own-eventfd        an eventfd without close-on-exec
//	own-timerfd        a timerfd without close-on-exec
//	own-socket         a socket without close-on-exec
//	own-file           a regular file without close-on-exec
//	own-pidfd-parent   a pidfd of the parent, made not close-on-exec
//	own-pidfd-self     a pidfd of the child itself, made not close-on-exec
//	own-pidfd-cloexec  a pidfd of the parent, close-on-exec
//	closed-lifeline    the lifeline, opened and closed
//	closed-3           descriptor 3 (inherited), closed
//	reused-event       the event's number after closing it, reused by an
//	                   eventfd of the child's own without close-on-exec
func helperOpenMore(args []string) {
	var r report
	value, err := openMoreValue(args[1], args[2], args[3])
	if err != nil {
		r.Err, r.Sentinel = "setup: "+err.Error(), "setup"
		writeReport(os.Stdout, r)
		return
	}
	start := time.Now()
	var h uintptr
	switch args[0] {
	case "lifeline":
		var l *Lifeline
		if l, err = OpenLifeline(value); err == nil {
			h = l.Handle()
		}
	case "memory":
		var m *SharedMemory
		if m, err = OpenSharedMemory(value); err == nil {
			h = m.Handle()
		}
	default:
		var ev *Event
		if ev, err = OpenEvent(value); err == nil {
			h = ev.Handle()
		}
	}
	r.Elapsed = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		r.Err, r.Sentinel = err.Error(), sentinel(err)
	} else {
		r.Event = int(h)
		r.EventType, _ = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", h))
	}
	writeReport(os.Stdout, r)
}

func openMoreValue(spec, event, lifeline string) (string, error) {
	notCloexec := func(fd int, err error) (string, error) {
		if err != nil {
			return "", err
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return "", err
		}
		return strconv.Itoa(fd), nil
	}
	switch spec {
	case "own-eventfd":
		return notCloexec(unix.Eventfd(0, 0))
	case "own-timerfd":
		return notCloexec(unix.TimerfdCreate(unix.CLOCK_MONOTONIC, 0))
	case "own-socket":
		return notCloexec(unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0))
	case "own-file":
		return notCloexec(unix.Open(os.Args[0], unix.O_RDONLY, 0))
	case "own-pidfd-parent":
		return notCloexec(unix.PidfdOpen(os.Getppid(), 0))
	case "own-pidfd-self":
		return notCloexec(unix.PidfdOpen(os.Getpid(), 0))
	case "own-pidfd-cloexec":
		fd, err := unix.PidfdOpen(os.Getppid(), 0)
		return strconv.Itoa(fd), err
	case "closed-lifeline":
		l, err := OpenLifeline(lifeline)
		if err != nil {
			return "", err
		}
		return lifeline, l.Close()
	case "closed-3":
		return "3", unix.Close(3)
	case "reused-event":
		ev, err := OpenEvent(event)
		if err != nil {
			return "", err
		}
		fd := int(ev.Handle())
		if err := ev.Close(); err != nil {
			return "", err
		}
		own, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
		if err != nil {
			return "", err
		}
		if own != fd { // usually it is: the lowest free number
			defer unix.Close(own)
			if err := unix.Dup3(own, fd, unix.O_CLOEXEC); err != nil {
				return "", err
			}
		}
		return notCloexec(fd, nil)
	}
	return spec, nil
}

// An extra is a descriptor the parent passes at 3 besides the event, as
// cmd.ExtraFiles[0]: inherited, not close-on-exec, but not an event or a
// lifeline.
type extra struct {
	what string
	make func(t *testing.T) *os.File
}

func (x *extra) file() func(t *testing.T) *os.File {
	if x == nil {
		return nil
	}
	return x.make
}

// extraFD makes extra fd (made close-on-exec, as it would be in a Go
// program: ExtraFiles are inherited all the same) closed at the end of t.
func extraFD(what string, open func() (int, error)) *extra {
	return &extra{what, func(t *testing.T) *os.File {
		t.Helper()
		fd, err := open()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		f := os.NewFile(uintptr(fd), what)
		t.Cleanup(func() { f.Close() })
		return f
	}}
}

// extraOpen is extraFD of a file os.Open opens.
func extraOpen(what string, name func(t *testing.T) string) *extra {
	return &extra{what, func(t *testing.T) *os.File {
		t.Helper()
		f, err := os.Open(name(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}}
}

// extraPidfd is a pidfd of another process: a child of this test that is
// still running (exited false) or has exited (exited true).
func extraPidfd(exited bool) *extra {
	what := "pidfd-of-sibling"
	if exited {
		what = "pidfd-of-exited"
	}
	return &extra{what, func(t *testing.T) *os.File {
		t.Helper()
		cmd := exec.Command(os.Args[0])
		cmd.Env = helperEnv("sleep")
		if exited {
			cmd.Env = helperEnv("exit-at-once")
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		fd, err := unix.PidfdOpen(cmd.Process.Pid, 0)
		if exited {
			cmd.Wait()
		} else {
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		}
		if err != nil {
			t.Fatalf("pidfd_open: %v", err)
		}
		f := os.NewFile(uintptr(fd), what)
		t.Cleanup(func() { f.Close() })
		return f
	}}
}

var (
	extraRegular = extraOpen("regular-file", func(*testing.T) string { return os.Args[0] })
	extraDevNull = extraOpen("dev-null", func(*testing.T) string { return os.DevNull })
)

// TestOpenRefusesMore hands the child the wrong values that TestOpenRefuses
// does not: inherited descriptors of every other kind, the child's own
// objects without close-on-exec, closed descriptors, and values beyond 31
// bits. Each must be refused with the right error within a second.
func TestOpenRefusesMore(t *testing.T) {
	socketpair := func() (int, error) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		unix.Close(fds[1])
		return fds[0], nil
	}
	pipe := func() (int, error) {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return -1, err
		}
		unix.Close(p[1])
		return p[0], nil
	}
	tests := []struct {
		kind, value string
		extra       *extra // passed at fd 3; the event is then at 4
		want        error
	}{
		// Inherited, not close-on-exec, but of the wrong type.
		{"event", "3", extraRegular, ErrWrongType},
		{"lifeline", "3", extraRegular, ErrWrongType},
		{"event", "3", extraOpen("directory", func(t *testing.T) string { return t.TempDir() }), ErrWrongType},
		{"event", "3", extraDevNull, ErrWrongType},
		{"event", "3", extraFD("O_PATH", func() (int, error) { return unix.Open(os.Args[0], unix.O_PATH|unix.O_CLOEXEC, 0) }), ErrWrongType},
		{"event", "3", extraFD("unix-socket", socketpair), ErrWrongType},
		{"lifeline", "3", extraFD("udp-socket", func() (int, error) { return unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0) }), ErrWrongType},
		{"event", "3", extraFD("pipe", pipe), ErrWrongType},
		{"event", "3", extraFD("memfd", func() (int, error) { return unix.MemfdCreate("handoff-test", unix.MFD_CLOEXEC) }), ErrWrongType},
		{"event", "3", extraFD("timerfd", func() (int, error) { return unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC) }), ErrWrongType},
		{"event", "3", extraFD("signalfd", func() (int, error) { return unix.Signalfd(-1, &unix.Sigset_t{}, unix.SFD_CLOEXEC) }), ErrWrongType},
		{"lifeline", "3", extraFD("epoll", func() (int, error) { return unix.EpollCreate1(unix.EPOLL_CLOEXEC) }), ErrWrongType},
		{"event", "3", extraFD("inotify", func() (int, error) { return unix.InotifyInit1(unix.IN_CLOEXEC) }), ErrWrongType},
		// Shared memory that is not handoff's: a memfd whose size is not
		// sealed, or sealed without F_SEAL_SEAL, or a regular file.
		{"memory", "3", extraFD("memfd-unsealed", memfdSealed(0)), ErrWrongType},
		{"memory", "3", extraFD("memfd-no-sealing", func() (int, error) { return unix.MemfdCreate("handoff-test", unix.MFD_CLOEXEC) }), ErrWrongType},
		{"memory", "3", extraFD("memfd-shrink-grow", memfdSealed(unix.F_SEAL_SHRINK|unix.F_SEAL_GROW)), ErrWrongType},
		{"memory", "3", extraFD("memfd-grow-seal", memfdSealed(unix.F_SEAL_GROW|unix.F_SEAL_SEAL)), ErrWrongType},
		{"memory", "3", extraRegular, ErrWrongType},
		// Pidfds that are not of the parent.
		{"lifeline", "3", extraPidfd(false), ErrParentGone},
		{"lifeline", "3", extraPidfd(true), ErrParentGone},
		{"lifeline", "3", extraFD("pidfd-of-init", func() (int, error) { return unix.PidfdOpen(1, 0) }), ErrParentGone},
		{"event", "3", extraPidfd(false), ErrWrongType},
		// The child's own objects, made without close-on-exec.
		{"event", "own-timerfd", nil, ErrNotInherited},
		{"event", "own-socket", nil, ErrNotInherited},
		{"event", "own-file", nil, ErrNotInherited},
		{"lifeline", "own-pidfd-self", nil, ErrNotInherited},
		{"lifeline", "own-eventfd", nil, ErrNotInherited},
		{"event", "own-pidfd-parent", nil, ErrNotInherited},
		{"lifeline", "own-pidfd-cloexec", nil, ErrNotInherited},
		// Closed.
		{"lifeline", "closed-lifeline", nil, ErrNotInherited},
		{"event", "closed-3", extraDevNull, ErrNotInherited},
		// Unused, and beyond 31 bits (values beyond 32 bits are ParseValue's: value_test.go).
		{"event", "1023", nil, ErrNotInherited},
		{"event", "1048576", nil, ErrNotInherited},
		{"event", "2147483647", nil, ErrNotInherited},
		{"event", "0x7FFFFFFF", nil, ErrNotInherited},
		{"event", "2147483648", nil, ErrNotInherited},
		{"lifeline", "2147483648", nil, ErrNotInherited},
		{"event", "0x80000000", nil, ErrNotInherited},
	}
	for _, tt := range tests {
		name := tt.kind + "=" + tt.value
		if tt.extra != nil {
			name += "/" + tt.extra.what
		}
		t.Run(name, func(t *testing.T) {
			r := openInChild(t, tt.kind, tt.value, tt.extra.file())
			if r.Sentinel != tt.want.Error() {
				t.Errorf("child %s(%q) = %q, want an error wrapping %q", openName(kindOf(tt.kind)), tt.value, r.Err, tt.want)
			}
			if r.Elapsed > 1000 {
				t.Errorf("child took %.1f ms to refuse %q, want < 1 s", r.Elapsed, tt.value)
			}
		})
	}
}

// memfdSealed returns a maker of a 4 KiB memfd that allows sealing, with
// seals added.
func memfdSealed(seals int) func() (int, error) {
	return func() (int, error) {
		fd, err := unix.MemfdCreate("handoff-test", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
		if err != nil {
			return -1, err
		}
		if err := unix.Ftruncate(fd, 4096); err != nil {
			unix.Close(fd)
			return -1, err
		}
		if seals != 0 {
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
				unix.Close(fd)
				return -1, err
			}
		}
		return fd, nil
	}
}

func kindOf(s string) kind {
	switch s {
	case "lifeline":
		return kindLifeline
	case "memory":
		return kindMemory
	}
	return kindEvent
}

// openInChild starts an "open-more" child that opens value as kind, with
// the event and the lifeline passed, and extra at 3 if not nil, and returns
// its report.
func openInChild(t *testing.T, kind, value string, x func(t *testing.T) *os.File) report {
	t.Helper()
	ev := testEvent(t)
	token := newToken(t)
	cmd := exec.Command(os.Args[0], kind, value, "{event}", "{parent}")
	cmd.Env = tokenEnv(token, "open-more")
	cmd.Stderr = os.Stderr
	if x != nil {
		cmd.ExtraFiles = []*os.File{x(t)}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := Command(cmd)
	h.Pass("event", ev)
	if err := h.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	r := readReport[report](t, bufio.NewScanner(out))
	if err := h.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if r.Sentinel == "setup" {
		t.Fatalf("child: %s", r.Err)
	}
	return r
}

// TestOpenRefusesOwnInheritable: an eventfd that the child made itself
// without close-on-exec is of the right type and not close-on-exec, yet not
// inherited; so is the number of an inherited event that the child closed
// and then reused. The flag and the type alone cannot tell them from an
// inherited one: OpenEvent also requires the descriptor to have been open,
// unchanged (fstat, and the eventfd-id of /proc/self/fdinfo), when the
// package was initialized.
func TestOpenRefusesOwnInheritable(t *testing.T) {
	tests := []struct{ kind, value string }{
		{"event", "own-eventfd"},
		{"event", "reused-event"},        // the inherited event closed, its number reused
		{"lifeline", "own-pidfd-parent"}, // harmless: it is a pidfd of the parent
	}
	for _, tt := range tests {
		t.Run(tt.kind+"="+tt.value, func(t *testing.T) {
			r := openInChild(t, tt.kind, tt.value, nil)
			if r.Sentinel == ErrNotInherited.Error() {
				return
			}
			t.Errorf("child %s(%q) = %q (accepted fd %d, %s), want an error wrapping %q",
				openName(kindOf(tt.kind)), tt.value, r.Err, r.Event, r.EventType, ErrNotInherited)
		})
	}
}
