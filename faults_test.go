package handoff

// The fault contract, on every backend that has its fixtures: the parent
// killed at each step, the child killed at each step, a child that hangs
// past its parent's deadline. Each fault is repeated 10 times, 100 with
// HANDOFF_STRESS=full; each reports its figures with t.Logf (run with -v):
//
//	HANDOFF_STRESS=full go test -race -v -run '^(TestKillParent|TestKillChild|TestHangingChild)$' .
//
// How a platform brings a helper to a step, kills it and sees what ended,
// is supplied by faultPlatform (faults_*_test.go): its fixtures report what
// they observed, and the assertions are all here. They do not run in
// parallel with other tests: they count processes, and time what load
// would slow.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// faultLimit is how soon what a fault ends must be gone: the child after
// its parent's kill, the parent's Wait after its child's
// kill or deadline.
const faultLimit = time.Second

// Exit codes of handoff-child (internal/exitcode) that the helpers share.
const (
	exitChildFailed = 8 // handoff-parent: the child failed
	exitParentGone  = 6
	exitTimeout     = 7
)

// faultReps is how many times each fault is repeated: 100 with
// HANDOFF_STRESS=full, 10 otherwise.
func faultReps() int {
	if os.Getenv("HANDOFF_STRESS") == "full" {
		return 100
	}
	return 10
}

// faultPlatform is what each platform gives the fault contract. Where it is
// not set (the pipe backend), the fault tests are skipped, and say so.
var faultPlatform struct {
	// modes are the ways the parent's end reaches a child: "pdeathsig"
	// and "lifeline" (the death signal made harmless) on Linux, "job" on
	// Windows.
	modes []string
	// vias are the parents of TestKillChild and TestHangingChild: the
	// "library" (a Handoff in this process), and where cmd/handoff-parent
	// runs, "handoff-parent".
	vias []string
	// track returns, for a test, a rep maker: the environment and the
	// leftovers of one repetition.
	track func(t *testing.T) func(rep int) faultRep
	// killParent runs a parent helper to step and kills it there; delay
	// is, at "during-start", how long after asking for Start to kill it.
	killParent func(t *testing.T, env helperEnvFunc, step, mode string, rep int, delay time.Duration) (parentKill, error)
	// killChild runs a child to step with via as its parent and kills it
	// there ("none": lets it exit 0).
	killChild func(t *testing.T, env helperEnvFunc, step, via, program string) (childKill, error)
	// hang runs a child that never exits under via's deadline.
	hang func(t *testing.T, env helperEnvFunc, via, program string) (hangRun, error)
	// killed tells whether Wait's err says the child was killed: by the
	// test's own kill (byTest) or by exec.CommandContext's; want says
	// what was expected.
	killed func(err error, byTest bool) (ok bool, want string)
}

// helperEnvFunc returns the environment of a helper process.
type helperEnvFunc func(helper string, more ...string) []string

// faultRep is one repetition of a fault.
type faultRep struct {
	// env is the environment of a helper the repetition starts, marked
	// as the repetition's where the platform marks them.
	env helperEnvFunc
	// left returns the processes of the repetition still running,
	// waiting up to wait for them to end; it ends them.
	left func(wait time.Duration) []string
}

// procEnd is how a process ended after a fault.
type procEnd struct {
	what string // "child"
	pid  int
	gone bool          // it ended
	took time.Duration // from the fault to its end
	// exit is how it ended, where the platform can tell (Linux: its wait
	// status; Windows cannot: a process its job ends exits 0 under Wine 8).
	exit *procExit
}

// procExit is a process's exit status.
type procExit struct {
	exited bool // else killed by a signal
	code   int  // exit code, if exited
	kill   bool // killed by the platform's kill (SIGKILL)
	desc   string
}

// childWoke is what a child said its WaitParent (or, refused, its open)
// returned, in words of word, and when (monotonic).
type childWoke struct {
	word    string
	at      int64
	refused bool
}

// parentKill is what one kill of a parent showed.
type parentKill struct {
	killed     int64         // monotonic, at the kill
	parentTook time.Duration // from the kill to the parent's end
	parentGone bool
	// landed is where a kill at "during-start" fell, where the platform
	// can tell: forked (the parent had a child), started (Start had
	// returned).
	landedKnown, forked, started bool
	ends                         []procEnd   // the processes the parent started, but a probe that exits 0 by itself
	woke                         []childWoke // what the child said, in order
	output                       string      // what the helpers said, for the messages
}

// childKill is what one kill of a child showed.
type childKill struct {
	waitErr error
	took    time.Duration // from the kill (at "none", the child's exit) to Wait's return
	running bool          // the child still ran once Wait returned
	woke    bool          // the child said its WaitParent returned
	stderr  string        // handoff-parent's
}

// hangRun is what a hanging child's deadline showed.
type hangRun struct {
	waitErr  error
	late     time.Duration // from the deadline to Wait's return
	deadline time.Duration
	ctxEnded bool // the library's context was done once Wait returned
	running  bool // the child still ran once Wait returned
	// grandchild is the child's own child, where the platform ends a
	// child's descendants with it (Windows: the job), from Wait's return.
	grandchild *procEnd
	stderr     string // handoff-parent's
}

// faultStats collects the figures of one fault repeated: the longest time
// of each measure.
type faultStats struct {
	reps, failures int
	max            map[string]time.Duration
	names          []string
}

func (s *faultStats) add(name string, d time.Duration) {
	if s.max == nil {
		s.max = map[string]time.Duration{}
	}
	if _, ok := s.max[name]; !ok {
		s.names = append(s.names, name)
	}
	s.max[name] = max(s.max[name], d)
}

// repeatFault runs fault faultReps times, each a repetition of its own, and
// fails it if a process of the repetition is left running within wait of
// its end (wait returns how long, from the fault). It goes on past
// faultReps, up to 10 times as many, while more, if not nil, says so.
func repeatFault(t *testing.T, more func() bool, fault func(rep int, r faultRep, s *faultStats) (left time.Duration, err error)) {
	t.Helper()
	newRep := faultPlatform.track(t)
	var s faultStats
	for rep := 0; rep < faultReps() || more != nil && more() && rep < 10*faultReps(); rep++ {
		r := newRep(rep)
		wait, err := fault(rep, r, &s)
		if left := r.left(max(wait, 0)); len(left) > 0 {
			err = errors.Join(err, fmt.Errorf("processes left running: %s", left))
		}
		s.reps++
		if err != nil {
			s.failures++
			if s.failures <= 3 {
				t.Errorf("repetition %d: %v", rep, err)
			}
		}
	}
	t.Logf("FIGURE %s: %d repetitions, %d failures", t.Name(), s.reps, s.failures)
	for _, name := range s.names {
		t.Logf("FIGURE %s: longest %s %v", t.Name(), name, s.max[name].Round(time.Microsecond))
	}
}

// needFaultFixtures skips t, and says so, where the backend has no fault
// fixtures.
func needFaultFixtures(t *testing.T) {
	t.Helper()
	if faultPlatform.track == nil {
		t.Skip("this backend has no fault fixtures (faults_*_test.go)")
	}
}

// TestKillParent kills the parent at each step: before Start (after a whole
// handoff), during Start (a delay after asking for it that follows Start's
// window; where the platform tells where each kill landed, the test counts
// them, repeats until 3 landed during Start, and fails if none did), right
// after Start, after the child verified its handles, and after Set while
// the child still runs. The parent must be gone within 1 s, and so must
// every process it started (the child); the parent may
// have had one child at most, none before Start, and one after it; the
// child must never exit 0, nor say it woke, unless the event was set, and
// what it says must be "parent gone" within 1 s of the kill; where the
// platform reads its exit status, it was killed, exited 0 after Set, or
// exited "parent gone" (which "lifeline", the death signal made harmless,
// requires). No process of the repetition may be left 1 s after the kill.
func TestKillParent(t *testing.T) {
	needFaultFixtures(t)
	steps := []string{"before-start", "during-start", "after-start", "after-verify", "after-set"}
	for _, mode := range faultPlatform.modes {
		for _, step := range steps {
			if mode == "lifeline" && (step == "before-start" || step == "after-set") {
				continue // no child waits on its lifeline there
			}
			t.Run(step+"/"+mode, func(t *testing.T) {
				// During Start, go on until 3 kills have landed in it: on a
				// quiet machine Start's window is well under a millisecond.
				var when killTiming
				var more func() bool
				if step == "during-start" {
					more = func() bool { return when.known && when.during < 3 }
				}
				repeatFault(t, more, func(rep int, r faultRep, s *faultStats) (time.Duration, error) {
					k, err := faultPlatform.killParent(t, r.env, step, mode, rep, when.delay)
					if err != nil {
						return 0, err
					}
					if step == "during-start" && k.landedKnown {
						when.known = true
						when.landed(k.forked, k.started)
					}
					return faultLimit - time.Duration(monotonic()-k.killed), checkParentKill(step, mode, k, s)
				})
				if step == "during-start" && when.known {
					t.Logf("the kill landed before Start forked in %d repetitions, during Start in %d, after Start returned in %d",
						when.before, when.during, when.after)
					if when.during == 0 {
						t.Errorf("no kill landed during Start (before %d, after %d): the step was not tested", when.before, when.after)
					}
				}
			})
		}
	}
}

// checkParentKill checks what a parent's kill at step showed.
func checkParentKill(step, mode string, k parentKill, s *faultStats) error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format+" (output %q)", append(args, k.output)...))
	}
	s.add("parent gone", k.parentTook)
	if !k.parentGone {
		fail("the parent still runs %v after it was killed", k.parentTook)
	} else if k.parentTook > faultLimit {
		fail("the parent was gone %v after it was killed, want < %v", k.parentTook, faultLimit)
	}
	signaled := false
	for _, w := range k.woke {
		signaled = signaled || w.word == "signaled" && !w.refused
	}
	children := 0
	for _, e := range k.ends {
		if e.what == "child" {
			children++
		}
		if e.gone {
			s.add(e.what+" gone", e.took)
		}
		switch {
		case !e.gone:
			fail("the %s %d still runs %v after its parent was killed", e.what, e.pid, e.took)
		case e.took > faultLimit:
			fail("the %s %d was gone %v after its parent was killed, want < %v", e.what, e.pid, e.took, faultLimit)
		}
		x := e.exit
		if x == nil || e.what != "child" {
			continue
		}
		switch {
		case x.exited && x.code == 0 && !(step == "after-set" && signaled):
			fail("child %d exited 0 though its event was not set", e.pid)
		case mode == "lifeline" && !(x.exited && x.code == exitParentGone):
			fail("child %d ended with %s, want exit %d (parent gone)", e.pid, x.desc, exitParentGone)
		case !x.exited && !x.kill:
			fail("child %d ended with %s, want killed or an exit", e.pid, x.desc)
		case x.exited && x.code != 0 && x.code != exitParentGone:
			fail("child %d exited %d, want 0 or %d", e.pid, x.code, exitParentGone)
		}
	}
	switch {
	case step == "before-start" && children > 0:
		fail("the parent was killed before Start, yet it has %d children", children)
	case step != "before-start" && step != "during-start" && children == 0:
		fail("the parent killed at %s had no child", step)
	case children > 1:
		fail("the killed parent had %d children, want at most 1", children)
	}
	for _, w := range k.woke {
		lag := time.Duration(w.at - k.killed)
		switch {
		case step == "after-set" && !w.refused:
			if w.word != "signaled" {
				fail("child woke with %s after Set, want signaled", w.word)
			}
		case w.word != "parent-gone":
			fail("child said %s (refused %v) with its parent killed at %s, want parent-gone or nothing", w.word, w.refused, step)
		default:
			s.add("child saw its parent gone", lag)
			if lag > faultLimit {
				fail("child saw its parent gone %v after the kill, want < %v", lag, faultLimit)
			}
		}
	}
	return errors.Join(errs...)
}

// killTiming counts where the kills of the during-start step landed, and
// holds the delay from asking for Start to the kill, which it moves toward
// Start's window by bisection: later after a kill that came before the
// fork, earlier after one that came once Start had returned, by a step that
// halves each time the direction turns.
type killTiming struct {
	known                 bool // the platform tells where kills land
	delay, step           time.Duration
	last                  int // -1: the last move was earlier, +1: later
	before, during, after int
}

// landed records where a kill landed: before Start forked (the parent had no
// child), after Start returned (the parent said so), or during Start.
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

// TestKillChild kills the child at each step: after Start before it
// verified, after it verified before Set, and after Set before it exits.
// The parent's Wait must return within 1 s of the kill, the child must be
// gone then, and Wait must say the child was killed (handoff-parent must
// exit 8, child failed); a child of the library killed before Set must not
// have said it woke. "none" kills nothing and lets the child exit 0, to show that the
// test tells the difference. Nothing of the repetition may be left.
func TestKillChild(t *testing.T) {
	needFaultFixtures(t)
	program := faultProgram(t)
	for _, via := range faultPlatform.vias {
		for _, step := range []string{"before-verify", "before-set", "after-set", "none"} {
			t.Run(via+"/"+step, func(t *testing.T) {
				if via == "handoff-parent" && program == "" {
					t.Skip("cmd/handoff-parent is not built (see the log of TestKillChild)")
				}
				repeatFault(t, nil, func(rep int, r faultRep, s *faultStats) (time.Duration, error) {
					k, err := faultPlatform.killChild(t, r.env, step, via, program)
					if err != nil {
						return 0, err
					}
					s.add("from the kill to the parent's end", k.took)
					return 0, checkChildKill(step, via, k)
				})
			})
		}
	}
}

// checkChildKill checks what a child's kill at step, with via its parent,
// showed.
func checkChildKill(step, via string, k childKill) error {
	var errs []error
	if k.running {
		errs = append(errs, fmt.Errorf("the child still runs after the parent's Wait returned"))
	}
	if k.took > faultLimit {
		errs = append(errs, fmt.Errorf("the parent's Wait returned %v after the child was killed at %s, want < %v", k.took, step, faultLimit))
	}
	// handoff-parent sets the event when it will: only a parent that has
	// not set it tells that the child cannot have woken.
	if via == "library" && k.woke && (step == "before-verify" || step == "before-set") {
		errs = append(errs, fmt.Errorf("the child killed at %s said it woke", step))
	}
	var ee *exec.ExitError
	switch {
	case via == "library" && step == "none":
		if k.waitErr != nil {
			errs = append(errs, fmt.Errorf("Wait = %v, want nil", k.waitErr))
		}
	case via == "library":
		if ok, want := faultPlatform.killed(k.waitErr, true); !ok {
			errs = append(errs, fmt.Errorf("Wait after the child was killed at %s = %v, want %s", step, k.waitErr, want))
		}
	default:
		code := 0
		if errors.As(k.waitErr, &ee) {
			code = ee.ExitCode()
		} else if k.waitErr != nil {
			errs = append(errs, k.waitErr)
		}
		want := exitChildFailed
		if step == "none" {
			want = 0
		}
		if code != want {
			errs = append(errs, fmt.Errorf("handoff-parent exited %d, want %d; stderr %q", code, want, k.stderr))
		}
	}
	return errors.Join(errs...)
}

// TestHangingChild: a child that verified its handles and then never exits,
// ignoring its event (and on Linux SIGTERM), is ended by its parent's
// deadline: a context given to exec.CommandContext, or handoff-parent's
// -timeout (exit 7). Wait must return within 1 s of the deadline and say
// the child was killed, the child must be gone then, and where the
// platform ends a child's descendants with it (Windows' job), so must the
// child's own child, within 1 s. The figure is the time from the deadline
// to the parent's Wait returning.
func TestHangingChild(t *testing.T) {
	needFaultFixtures(t)
	program := faultProgram(t)
	for _, via := range faultPlatform.vias {
		t.Run(via, func(t *testing.T) {
			if via == "handoff-parent" && program == "" {
				t.Skip("cmd/handoff-parent is not built (see the log of TestHangingChild)")
			}
			repeatFault(t, nil, func(rep int, r faultRep, s *faultStats) (time.Duration, error) {
				h, err := faultPlatform.hang(t, r.env, via, program)
				if err != nil {
					return 0, err
				}
				s.add("from the deadline to the parent's end", h.late)
				return 0, checkHang(via, h, s)
			})
		})
	}
}

// checkHang checks what a hanging child's deadline, with via its parent,
// showed.
func checkHang(via string, h hangRun, s *faultStats) error {
	var errs []error
	if h.late > faultLimit {
		errs = append(errs, fmt.Errorf("the parent's Wait returned %v after the deadline, want < %v", h.late, faultLimit))
	}
	if h.running {
		errs = append(errs, fmt.Errorf("the hanging child still runs after the parent's Wait returned"))
	}
	if g := h.grandchild; g != nil {
		s.add("grandchild gone after Wait", g.took)
		if !g.gone {
			errs = append(errs, fmt.Errorf("the grandchild %d still runs %v after Wait returned", g.pid, g.took))
		} else if g.took > faultLimit {
			errs = append(errs, fmt.Errorf("the grandchild %d was gone %v after Wait returned, want < %v", g.pid, g.took, faultLimit))
		}
	}
	var ee *exec.ExitError
	if via == "library" {
		if ok, want := faultPlatform.killed(h.waitErr, false); !ok || !h.ctxEnded {
			errs = append(errs, fmt.Errorf("Wait = %v (context done: %v), want %s after the deadline", h.waitErr, h.ctxEnded, want))
		}
	} else if !errors.As(h.waitErr, &ee) || ee.ExitCode() != exitTimeout {
		errs = append(errs, fmt.Errorf("handoff-parent -timeout %v: %v, want exit %d (timeout); stderr %q", h.deadline, h.waitErr, exitTimeout, h.stderr))
	}
	return errors.Join(errs...)
}

// faultProgram builds cmd/handoff-parent for the vias that use it, or
// returns "".
func faultProgram(t *testing.T) string {
	t.Helper()
	if !slices.Contains(faultPlatform.vias, "handoff-parent") {
		return ""
	}
	return handoffParent(t)
}

// handoffParent builds cmd/handoff-parent into a temporary directory and
// returns its path, or "" if it is not there or does not build.
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
		t.Logf("go build ./cmd/handoff-parent: %v\n%s; not used", err, strings.TrimSpace(string(out)))
		return ""
	}
	return exe
}
