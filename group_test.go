//go:build linux || windows

package handoff

// Group: children behind one event, all or nothing, and the Kill of one
// Handoff, which Group builds on.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

func init() {
	registerHelper("group-child", helperGroupChild)
}

// helperGroupChild opens the event "go" and the lifeline from its handles
// argument, and then, by its mode:
//
//	work:   signals ready, waits for the event, prints "woke"
//	linger: the same, then sleeps an hour, until killed
//	refuse: asks for "missing", which was not passed, and exits with its
//	        exit code, never ready
//	hang:   never signals ready, sleeps an hour
//
// Before it signals ready it prints "set before ready" if the event is
// already set. It exits 3 if the event is not set within 30 seconds.
func helperGroupChild(args []string) {
	fatal := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(ExitCode(err))
	}
	hs, err := ParseHandles(args[0])
	if err != nil {
		fatal(err)
	}
	mode := args[1]
	ev, err := hs.Event("go")
	if err != nil {
		fatal(err)
	}
	life, err := hs.Lifeline()
	if err != nil {
		fatal(err)
	}
	switch mode {
	case "refuse":
		_, err := hs.Event("missing")
		fatal(err)
	case "hang":
		time.Sleep(time.Hour)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if ev.Wait(done) == nil {
		fmt.Println("set before ready")
	}
	if err := hs.Ready(); err != nil {
		fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ev.WaitParent(ctx, life); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Println("woke")
	if mode == "linger" {
		time.Sleep(time.Hour)
	}
}

// groupChild returns a Handoff of a "group-child" in mode, passed ev, its
// output in out.
func groupChild(t *testing.T, ev *Event, mode string, out *syncBuffer) *Handoff {
	t.Helper()
	cmd := exec.Command(os.Args[0], "{handles}", mode)
	cmd.Env = testEnv(t)("group-child")
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	h := Command(cmd)
	h.Pass("go", ev)
	h.ExpectReady()
	return h
}

// syncBuffer is a bytes.Buffer that a child's output and a test may use at
// once, and that a test can wait on.
type syncBuffer struct {
	mu   sync.Mutex
	cond *sync.Cond
	b    bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cond != nil {
		b.cond.Broadcast()
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor waits until b holds want, and fails the test if it does not
// within a minute.
func (b *syncBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cond == nil {
		b.cond = sync.NewCond(&b.mu)
	}
	expired := false
	timer := time.AfterFunc(time.Minute, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		expired = true
		b.cond.Broadcast()
	})
	defer timer.Stop()
	for b.b.String() != want && !expired {
		b.cond.Wait()
	}
	if got := b.b.String(); got != want {
		t.Fatalf("child printed %q, want %q", got, want)
	}
}

// runGroup starts a group of "group-child"ren, one per mode, with g's
// callbacks recording what they saw, and returns the group, the children
// and their outputs. At the end of the test every child is killed and
// waited for.
func runGroup(t *testing.T, ctx context.Context, ev *Event, modes ...string) (*Group, []*Handoff, []*syncBuffer, *groupLog) {
	t.Helper()
	g := NewGroup(ctx)
	log := &groupLog{}
	g.OnReady = func(i int, h *Handoff) { log.add(fmt.Sprintf("ready %d", i)) }
	g.OnExit = func(i int, h *Handoff, err error) { log.add(fmt.Sprintf("exit %d", i)) }
	hs := make([]*Handoff, len(modes))
	outs := make([]*syncBuffer, len(modes))
	t.Cleanup(func() {
		g.Kill()
		g.Wait()
	})
	for i, mode := range modes {
		outs[i] = new(syncBuffer)
		hs[i] = groupChild(t, ev, mode, outs[i])
		if err := g.Start(hs[i]); err != nil {
			t.Fatalf("Start(child %d): %v", i, err)
		}
	}
	return g, hs, outs, log
}

// groupLog records the calls of OnReady and OnExit without a lock, as the
// group promises that they never overlap: under -race, calls that did would
// be reported.
type groupLog struct {
	calls []string
}

func (l *groupLog) add(s string) { l.calls = append(l.calls, s) }

func (l *groupLog) count(prefix string) int {
	n := 0
	for _, c := range l.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// TestGroup: every child is ready before the event is set, once; each
// wakes from it, and Wait reports them all exited.
func TestGroup(t *testing.T) {
	ev := testEvent(t)
	g, hs, outs, log := runGroup(t, context.Background(), ev, "work", "work", "work")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := g.Set(ctx, ev); err != nil {
		t.Fatalf("Set = %v", err)
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait = %v", err)
	}
	for i, h := range hs {
		if got := outs[i].String(); got != "woke\n" {
			t.Errorf("child %d printed %q, want %q", i, got, "woke\n")
		}
		if !h.Cmd.ProcessState.Success() {
			t.Errorf("child %d: %v", i, h.Cmd.ProcessState)
		}
	}
	if r, e := log.count("ready "), log.count("exit "); r != 3 || e != 3 {
		t.Errorf("OnReady called %d times, OnExit %d, want 3 and 3: %q", r, e, log.calls)
	}
	if err := g.Set(ctx, ev); err == nil {
		t.Errorf("second Set = nil error")
	}
	if err := g.Start(groupChild(t, ev, "work", new(syncBuffer))); err == nil {
		t.Errorf("Start after Wait = nil error")
	}
	if err := NewGroup(context.Background()).Start(nil); err == nil {
		t.Errorf("Start(nil) = nil error")
	}
}

// TestGroupNotReady: a child that is not ready, because it refuses what it
// got or does not signal in time, makes Set kill every child, never set the
// event, and name that child; Wait returns the same.
func TestGroupNotReady(t *testing.T) {
	for _, tt := range []struct {
		modes   []string
		failed  int
		wrap    error
		code    int
		timeout time.Duration
	}{
		// No bound: the child that refuses must cut the wait for the
		// one that hangs short.
		{[]string{"work", "refuse", "hang"}, 1, ErrNotReady, ExitChildFailed, 0},
		{[]string{"hang", "work", "hang"}, 0, context.DeadlineExceeded, ExitTimeout, 2 * time.Second},
	} {
		t.Run(strings.Join(tt.modes, ","), func(t *testing.T) {
			ev := testEvent(t)
			g, hs, outs, _ := runGroup(t, context.Background(), ev, tt.modes...)
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			err := waitBounded(t, func() error { return g.Set(ctx, ev) })
			var ce *ChildError
			if !errors.As(err, &ce) || ce.Index != tt.failed || ce.Handoff != hs[tt.failed] || !errors.Is(err, tt.wrap) {
				t.Fatalf("Set = %v, want a *ChildError of child %d wrapping %v", err, tt.failed, tt.wrap)
			}
			if got := ExitCode(err); got != tt.code {
				t.Errorf("ExitCode(%v) = %d, want %d", err, got, tt.code)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("pid %d", hs[tt.failed].Cmd.Process.Pid)) {
				t.Errorf("Set = %q, which does not name the child's pid", err)
			}
			if werr := g.Wait(); werr != err {
				t.Errorf("Wait = %v, want Set's %v", werr, err)
			}
			for i, h := range hs {
				// Set returns once every child has been waited for.
				if h.Cmd.ProcessState == nil {
					t.Fatalf("child %d not waited for when Set returned", i)
				}
				if strings.Contains(outs[i].String(), "woke") {
					t.Errorf("child %d printed %q: the event was set", i, outs[i])
				}
				if i != tt.failed && !killedState(h.Cmd.ProcessState) {
					t.Errorf("child %d: %v, want killed", i, h.Cmd.ProcessState)
				}
			}
			if ev.Wait(doneContext()) == nil {
				t.Errorf("the event is set")
			}
		})
	}
}

// TestGroupContext: once the group's context is done, its children are
// killed, and Wait says why.
func TestGroupContext(t *testing.T) {
	ev := testEvent(t)
	ctx, cancel := context.WithCancel(context.Background())
	g, hs, outs, _ := runGroup(t, ctx, ev, "linger", "linger")
	readyCtx, cancelReady := context.WithTimeout(context.Background(), time.Minute)
	defer cancelReady()
	if err := g.Set(readyCtx, ev); err != nil {
		t.Fatalf("Set = %v", err)
	}
	for _, out := range outs {
		out.waitFor(t, "woke\n")
	}
	cancel()
	err := waitBounded(t, g.Wait)
	var ce *ChildError
	if !errors.As(err, &ce) || ce.Index != 0 || !errors.Is(err, context.Canceled) || ExitCode(err) != ExitChildFailed {
		t.Fatalf("Wait = %v, want a *ChildError of child 0 wrapping %v, exit code %d", err, context.Canceled, ExitChildFailed)
	}
	for i, h := range hs {
		if !killedState(h.Cmd.ProcessState) {
			t.Errorf("child %d: %v, want killed", i, h.Cmd.ProcessState)
		}
	}
}

// TestGroupContextBeforeSet: a group whose context ends before its
// children are ready kills them, and Set says so rather than blame a child.
func TestGroupContextBeforeSet(t *testing.T) {
	ev := testEvent(t)
	ctx, cancel := context.WithCancel(context.Background())
	g, hs, _, _ := runGroup(t, ctx, ev, "hang", "hang")
	cancel()
	err := waitBounded(t, func() error { return g.Set(context.Background(), ev) })
	var ce *ChildError
	if !errors.Is(err, context.Canceled) || errors.As(err, &ce) {
		t.Errorf("Set = %v, want an error wrapping %v that names no child", err, context.Canceled)
	}
	for i, h := range hs {
		if !killedState(h.Cmd.ProcessState) {
			t.Errorf("child %d: %v, want killed", i, h.Cmd.ProcessState)
		}
	}
	if ev.Wait(doneContext()) == nil {
		t.Errorf("the event is set")
	}
}

// TestGroupStartFails: a child that does not start makes Start kill those
// started; Set does not set the event and Wait reports the failed start.
func TestGroupStartFails(t *testing.T) {
	ev := testEvent(t)
	g, hs, _, _ := runGroup(t, context.Background(), ev, "work")
	bad := Command(exec.Command(os.Args[0]+"-missing", "{handles}"))
	bad.Pass("go", ev)
	err := g.Start(bad)
	var ce *ChildError
	if !errors.As(err, &ce) || ce.Index != 1 || ce.Handoff != bad {
		t.Fatalf("Start of a missing program = %v, want a *ChildError of child 1", err)
	}
	if serr := g.Set(context.Background(), ev); serr != err {
		t.Errorf("Set = %v, want Start's %v", serr, err)
	}
	if werr := waitBounded(t, g.Wait); werr != err {
		t.Errorf("Wait = %v, want Start's %v", werr, err)
	}
	if !killedState(hs[0].Cmd.ProcessState) {
		t.Errorf("child 0: %v, want killed", hs[0].Cmd.ProcessState)
	}
	if ev.Wait(doneContext()) == nil {
		t.Errorf("the event is set")
	}
}

// TestGroupKillBeforeSet: a Kill once every child is ready, but before
// the event is set, keeps Set from setting it.
func TestGroupKillBeforeSet(t *testing.T) {
	ev := testEvent(t)
	g, hs, outs, _ := runGroup(t, context.Background(), ev, "work", "work")
	ready := 0
	g.OnReady = func(int, *Handoff) {
		if ready++; ready == len(hs) {
			g.Kill()
		}
	}
	err := waitBounded(t, func() error { return g.Set(context.Background(), ev) })
	if !errors.Is(err, errKilled) {
		t.Errorf("Set = %v, want an error that says Kill killed the children", err)
	}
	if ev.Wait(doneContext()) == nil {
		t.Errorf("the event is set")
	}
	for i, h := range hs {
		if !killedState(h.Cmd.ProcessState) || strings.Contains(outs[i].String(), "woke") {
			t.Errorf("child %d: %v, printed %q, want killed before the event", i, h.Cmd.ProcessState, outs[i])
		}
	}
}

// TestGroupKillBeforeStart: a group that was killed starts no child.
func TestGroupKillBeforeStart(t *testing.T) {
	g := NewGroup(context.Background())
	if err := g.Kill(); err != nil {
		t.Fatalf("Kill of an empty group = %v", err)
	}
	h := groupChild(t, testEvent(t), "work", new(syncBuffer))
	if err := g.Start(h); !errors.Is(err, errKilled) || h.Cmd.Process != nil {
		t.Errorf("Start after Kill = %v (started: %v), want an error that says Kill killed the group", err, h.Cmd.Process != nil)
	}
	if err := g.Wait(); !errors.Is(err, errKilled) {
		t.Errorf("Wait = %v, want Start's error", err)
	}
}

// TestGroupConcurrent: a supervisor's goroutines start children, set and
// wait, and kill, at once (run it with -race).
func TestGroupConcurrent(t *testing.T) {
	ev := testEvent(t)
	g := NewGroup(context.Background())
	const n = 4
	var wg sync.WaitGroup
	hs := make([]*Handoff, n)
	outs := make([]*syncBuffer, n)
	for i := range n {
		outs[i] = new(syncBuffer)
		hs[i] = groupChild(t, ev, "linger", outs[i])
		wg.Go(func() {
			if err := g.Start(hs[i]); err != nil {
				t.Errorf("Start(child %d) = %v", i, err)
			}
		})
	}
	wg.Wait()
	setErr := make(chan error, 1)
	go func() { setErr <- g.Set(context.Background(), ev) }()
	if err := <-setErr; err != nil {
		t.Fatalf("Set = %v", err)
	}
	for _, out := range outs {
		out.waitFor(t, "woke\n")
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- g.Wait() }()
	wg.Go(func() { g.Kill() })
	wg.Go(func() { g.Kill() })
	wg.Wait()
	err := waitBounded(t, func() error { return <-waitErr })
	if !errors.Is(err, errKilled) {
		t.Errorf("Wait = %v, want an error that says Kill killed the children", err)
	}
	for i, h := range hs {
		if !killedState(h.Cmd.ProcessState) {
			t.Errorf("child %d: %v, want killed", i, h.Cmd.ProcessState)
		}
	}
}

// TestKill: Kill ends a child, and Wait reports it killed; a Kill after
// Wait reports os.ErrProcessDone, one before Start an error.
func TestKill(t *testing.T) {
	ev := testEvent(t)
	out := new(syncBuffer)
	h := groupChild(t, ev, "hang", out)
	if err := h.Kill(); err == nil {
		t.Errorf("Kill before Start = nil error")
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	if err := h.Kill(); err != nil {
		t.Fatalf("Kill = %v", err)
	}
	err := waitBounded(t, h.Wait)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !killedState(h.Cmd.ProcessState) {
		t.Errorf("Wait after Kill = %v (%v), want an *exec.ExitError of a killed child", err, h.Cmd.ProcessState)
	}
	if err := h.Kill(); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("Kill after Wait = %v, want %v", err, os.ErrProcessDone)
	}
}

// waitBounded returns what wait returns, and fails the test if that takes a
// minute: what it waits for has been ended, and ends at once.
func waitBounded(t *testing.T, wait func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("still waiting a minute after the children were killed")
		return nil
	}
}

// doneContext returns a context that is done already: a wait with it only
// polls.
func doneContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestGroupBeforeSet: BeforeSet is called once, after every child is
// ready and before the event is set; an error from it kills the children
// and the event stays unset.
func TestGroupBeforeSet(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		ev := testEvent(t)
		g, hs, outs, log := runGroup(t, context.Background(), ev, "work", "work", "work")
		calls := 0
		g.BeforeSet = func() error {
			calls++
			if ev.Wait(doneContext()) == nil {
				t.Errorf("BeforeSet called after the event was set")
			}
			if r := log.count("ready "); r != len(hs) {
				t.Errorf("BeforeSet called after %d of %d children were ready", r, len(hs))
			}
			return nil
		}
		if err := waitBounded(t, func() error { return g.Set(context.Background(), ev) }); err != nil {
			t.Fatalf("Set = %v", err)
		}
		if err := g.Wait(); err != nil {
			t.Fatalf("Wait = %v", err)
		}
		if calls != 1 {
			t.Errorf("BeforeSet called %d times, want 1", calls)
		}
		for i := range hs {
			if got := outs[i].String(); got != "woke\n" {
				t.Errorf("child %d printed %q, want %q", i, got, "woke\n")
			}
		}
	})
	t.Run("error", func(t *testing.T) {
		ev := testEvent(t)
		g, hs, outs, _ := runGroup(t, context.Background(), ev, "work", "work")
		stop := errors.New("stop here")
		g.BeforeSet = func() error { return stop }
		if err := waitBounded(t, func() error { return g.Set(context.Background(), ev) }); !errors.Is(err, stop) {
			t.Errorf("Set = %v, want BeforeSet's error", err)
		}
		if err := g.Wait(); !errors.Is(err, stop) {
			t.Errorf("Wait = %v, want BeforeSet's error", err)
		}
		if ev.Wait(doneContext()) == nil {
			t.Errorf("the event is set")
		}
		for i, h := range hs {
			if !killedState(h.Cmd.ProcessState) || strings.Contains(outs[i].String(), "woke") {
				t.Errorf("child %d: %v, printed %q, want killed before the event", i, h.Cmd.ProcessState, outs[i])
			}
		}
	})
}
