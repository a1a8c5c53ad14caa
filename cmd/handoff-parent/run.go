package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/exitcode"
	"github.com/handoff/handoff/internal/trace"
)

// run runs handoff-parent with the command-line arguments args.
func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := parse(args, stdout)
	if err != nil {
		return err
	}
	if err := setTraceEnv(cfg.trace || cfg.json); err != nil {
		return err
	}
	p := &parent{config: cfg, stdout: newOutlet(stdout), stderr: newOutlet(stderr), rec: trace.NewRecorder(trace.Parent)}
	if cfg.trace || cfg.json {
		if p.start, err = trace.Now(); err != nil {
			return err
		}
		p.rec.AddAt(p.start, "start", "pid", os.Getpid())
	}
	err = p.run()
	// Standard error has nowhere to report its own failure.
	stderrDone := make(chan struct{})
	go func() { p.stderr.finish(); close(stderrDone) }()
	outErr := p.stdout.finish()
	<-stderrDone
	switch {
	case outErr == nil:
		return err
	case err == nil:
		return fmt.Errorf("standard output: %w", outErr)
	}
	return exitcode.Errorf(exitcode.Of(err), "%w; and standard output: %w", err, outErr)
}

// parent is one run.
type parent struct {
	config
	stdout, stderr *outlet // the run never waits for them
	rec            *trace.Recorder
	start          int64        // the first step's time, when tracing
	startBy        time.Time    // when the children must all have started
	setWall        time.Time    // when the event was set
	setAt          int64        // the event-set step's time, when tracing
	eventSet       bool         // the event was set
	running        atomic.Int64 // children started and not yet waited for
}

// run takes the steps that the command's documentation lists: create, start,
// wait until ready, set, wait for the children, report, close. The children
// are a handoff.Group, which kills them all if one is not ready or at the
// deadline.
func (p *parent) run() error {
	ev, err := p.newEvent()
	if err != nil {
		return err
	}
	defer ev.Close()
	msg, err := p.newMessage()
	if err != nil {
		return err
	}
	if msg != nil {
		defer msg.Close()
	}
	deadline, timeout := context.WithCancelCause(context.Background())
	defer timeout(nil)
	g := handoff.NewGroup(deadline)
	var children []*child
	g.OnExit = func(i int, _ *handoff.Handoff, err error) { p.exited(children[i], p.children, err) }
	children, err = p.startAll(g, ev, msg)
	if err != nil {
		g.Wait()
		return err
	}
	if err := p.set(g, ev, children); err != nil {
		return p.notSet(children, err)
	}
	timedOut := p.startDeadline(timeout)
	g.Wait()
	fired := timedOut()
	closeErr := p.close(ev, msg)
	if p.tracing() {
		if err := p.timeline(children, p.setAt); err != nil {
			return err
		}
	}
	if err := p.exitError(children, fired); err != nil {
		return err
	}
	if closeErr != nil {
		return fmt.Errorf("close: %w", closeErr)
	}
	return nil
}

// newEvent creates the event.
func (p *parent) newEvent() (*handoff.Event, error) {
	ev, err := handoff.NewEvent()
	if err != nil {
		return nil, fmt.Errorf("create event: %w", err)
	}
	p.step(p.now(), "event-created", fmt.Sprintf("created event, handle %d", ev.Handle()), "handle", ev.Handle())
	return ev, nil
}

// startAllowance is the time the parent allows itself to start each of its
// own children: about ten times what a start takes under Wine, where it is
// slowest.
const startAllowance = time.Second

// startAll starts the children in g. If one fails to start, g ends those
// already started, and startAll returns why. Its own children
// (handoff-child) it must start by p.startBy, on which their deadlines
// depend (see childTimeout), else it ends them all with a timeout. The
// caller waits for g.
func (p *parent) startAll(g *handoff.Group, ev *handoff.Event, msg *handoff.SharedMemory) ([]*child, error) {
	children := make([]*child, 0, p.children)
	began := time.Now()
	budget := p.startBudget()
	if budget > 0 {
		p.startBy = began.Add(budget)
	}
	for i := range p.children {
		c := &child{index: i + 1}
		if err := p.startChild(g, c, ev, msg); err != nil {
			return children, err
		}
		children = append(children, c)
		if budget > 0 && time.Now().After(p.startBy) {
			g.Kill()
			return children, exitcode.Errorf(handoff.ExitTimeout, "timeout: %d of %d children started in %v, longer than the %v allowed (%v each); killed them; the event was not set",
				i+1, p.children, time.Since(began).Round(time.Millisecond), budget, startAllowance)
		}
	}
	return children, nil
}

// minStartBudget is the least time the parent allows itself for the
// starts: a cold Wine takes seconds for its first. With the default
// -ready-timeout it leaves up to 15 children their default timeout (see
// childTimeout), so that they need no -timeout of their own.
const minStartBudget = 15 * time.Second

// startBudget returns the time the parent allows itself to start its own
// children: startAllowance each, and at least minStartBudget. It returns
// 0, no budget, for a child command after "--", whose deadlines are its
// own, and with -ready-timeout 0, when the parent's own children wait
// without one.
func (p *parent) startBudget() time.Duration {
	if p.command != nil || p.readyTimeout == 0 {
		return 0
	}
	return max(time.Duration(p.children)*startAllowance, minStartBudget)
}

// set waits until every child has signaled that it verified what it
// received, within -ready-timeout, if the children were asked to, and sets
// the event. Its lines come in causal order: each child's output up to its
// ready signal before "ready", and "event set" before any child's output
// that follows the set (see relay and outlet.hold; a single child writes
// to standard output directly, so the parent's lines are written out
// before the set, within syncLimit).
func (p *parent) set(g *handoff.Group, ev *handoff.Event, children []*child) error {
	ctx := context.Background()
	if p.readyTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.readyTimeout)
		defer cancel()
	}
	g.BeforeSet = func() error {
		if _, ok := children[0].h.Value(handoff.ReadyName); ok {
			t := p.now()
			var wg sync.WaitGroup
			for _, c := range children {
				if c.relay != nil {
					wg.Go(func() { c.relay.sync(ctx) })
				}
			}
			wg.Wait()
			what := "the child is"
			if n := len(children); n > 1 {
				what = fmt.Sprintf("all %d children are", n)
			}
			p.step(t, "ready", what+" ready")
		}
		p.stdout.hold()
		p.setWall = time.Now()
		p.setAt = p.now()
		limit := "no timeout"
		if p.timeout > 0 {
			limit = "timeout " + p.timeout.String()
		}
		what := "the child"
		if len(children) > 1 {
			what = fmt.Sprintf("the %d children", len(children))
		}
		p.step(p.setAt, "event-set", "event set; waiting for "+what+" ("+limit+")")
		if children[0].relay == nil && children[0].trace == nil {
			p.stdout.flush(syncLimit)
		}
		return nil
	}
	err := g.Set(ctx, ev)
	p.eventSet = err == nil
	p.stdout.release()
	return err
}

// notSet ends a run that stops before the set, err from Group.Set: the
// group has ended the children and reported what became of each. It
// prints the timeline if asked for, and returns the error to exit with.
func (p *parent) notSet(children []*child, err error) error {
	p.setAt = 0
	if p.tracing() {
		if terr := p.timeline(children, 0); terr != nil {
			return terr
		}
	}
	var ce *handoff.ChildError
	if !errors.As(err, &ce) {
		return err
	}
	failed := children[ce.Index]
	name := fmt.Sprintf("%s (pid %d)", failed.name(len(children)), failed.h.Cmd.Process.Pid)
	switch {
	case errors.Is(err, handoff.ErrNotReady):
		how := ""
		if state := failed.h.Cmd.ProcessState; state != nil {
			how = fmt.Sprintf(" (%v)", state)
		}
		return exitcode.Errorf(handoff.ExitChildFailed, "%s exited before it was ready%s; the event was not set", name, how)
	case errors.Is(err, context.DeadlineExceeded):
		return exitcode.Errorf(handoff.ExitTimeout, "timeout: %s was not ready within %v; killed the children; the event was not set", name, p.readyTimeout)
	}
	return fmt.Errorf("wait for %s to be ready: %w", name, ce.Err)
}

// errTimeout is why the deadline (-timeout) ended the children.
var errTimeout = errors.New("-timeout passed")

// startDeadline makes timeout, the group's context's cancel, kill the
// children once -timeout has passed, unless it is 0, and reports it. The
// function it returns, called once the children are waited for, stops the
// deadline and tells whether it fired.
func (p *parent) startDeadline(timeout context.CancelCauseFunc) (stop func() bool) {
	if p.timeout <= 0 {
		return func() bool { return false }
	}
	timer := time.AfterFunc(p.timeout, func() {
		if p.running.Load() > 0 {
			p.reportTimeout(p.now())
		}
		timeout(errTimeout)
	})
	return func() bool { return !timer.Stop() }
}

// close closes the event and the message, and returns the first error.
func (p *parent) close(ev *handoff.Event, msg *handoff.SharedMemory) error {
	err := ev.Close()
	if msg != nil {
		if merr := msg.Close(); err == nil {
			err = merr
		}
	}
	p.step(p.now(), "cleanup-done", "closed the event; done")
	return err
}

// waitedLong returns, for child c that exited with the code of a timeout,
// how long before the set it was started, when that is more than a second:
// a child that gives up on its own timeout while the parent still starts
// others, or waits for them to be ready, learns of the set too late.
func (p *parent) waitedLong(c *child) string {
	if c.h.Cmd.ProcessState.ExitCode() != handoff.ExitTimeout {
		return ""
	}
	d := p.setWall.Sub(c.started)
	if d <= time.Second {
		return ""
	}
	return fmt.Sprintf(" (the code of a timeout: it was started %v before the event was set, once every child had started and was ready)", d.Round(time.Millisecond))
}

// exitError returns the error to exit with for the first child that did not
// exit 0, or could not be waited for; timedOut tells that the deadline
// fired.
func (p *parent) exitError(children []*child, timedOut bool) error {
	for _, c := range children {
		state := c.h.Cmd.ProcessState
		name := c.name(len(children))
		switch {
		case state == nil:
			return fmt.Errorf("wait for %s: %w", name, c.err)
		case timedOut && !state.Success():
			return exitcode.Errorf(handoff.ExitTimeout, "timeout: %s did not exit within %v; killed it", name, p.timeout)
		case !state.Exited():
			return exitcode.Errorf(handoff.ExitChildFailed, "%s failed: %v", name, state)
		case !state.Success():
			return exitcode.Errorf(handoff.ExitChildFailed, "%s failed: exit code %d%s", name, state.ExitCode(), p.waitedLong(c))
		case c.err != nil && !errors.Is(c.err, exec.ErrWaitDelay):
			return fmt.Errorf("wait for %s: %w", name, c.err)
		}
	}
	return nil
}
