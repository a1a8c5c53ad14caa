package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
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
	start          int64     // the first step's time, when tracing
	startBy        time.Time // when the children must all have started
	setWall        time.Time // when the event was set
}

// run takes the steps that the command's documentation lists: create, start,
// wait until ready, set, wait for the children, report, close.
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
	children, err := p.startAll(ev, msg)
	if err != nil {
		return err
	}
	if failed, err := p.awaitReady(children); err != nil {
		return p.notReady(children, failed, err)
	}
	stopDeadline := p.startDeadline(children)
	p.setWall = time.Now()
	setAt, setErr := p.set(ev, children)
	waitAll(children)
	t := p.now()
	killedAt, timedOut := stopDeadline()
	if timedOut {
		p.reportTimeout(killedAt, len(children))
	}
	p.reportExits(children, t, true)
	closeErr := p.close(ev, msg)
	if p.tracing() {
		if err := p.timeline(children, setAt); err != nil {
			return err
		}
	}
	if setErr != nil {
		return fmt.Errorf("set event: %w", setErr)
	}
	if err := p.exitError(children, timedOut); err != nil {
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

// startAll starts the children. If one fails to start, it ends those
// already started and returns why. Its own children (handoff-child) it
// must start by p.startBy, on which their deadlines depend (see
// childTimeout), else it ends them all with a timeout.
func (p *parent) startAll(ev *handoff.Event, msg *handoff.SharedMemory) ([]*child, error) {
	children := make([]*child, 0, p.children)
	began := time.Now()
	budget := p.startBudget()
	if budget > 0 {
		p.startBy = began.Add(budget)
	}
	for i := range p.children {
		c := &child{index: i + 1}
		err := p.startChild(c, ev, msg)
		if err == nil {
			children = append(children, c)
			if budget > 0 && time.Now().After(p.startBy) {
				err = exitcode.Errorf(handoff.ExitTimeout, "timeout: %d of %d children started in %v, longer than the %v allowed (%v each); killed them; the event was not set",
					i+1, p.children, time.Since(began).Round(time.Millisecond), budget, startAllowance)
			}
		}
		if err != nil {
			killAll(children)
			waitAll(children)
			return nil, err
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

// awaitReady waits until every child has signaled that it verified what it
// received, within -ready-timeout, if the children were asked to. If one
// did not, it returns it, the first in order, and why.
func (p *parent) awaitReady(children []*child) (*child, error) {
	if _, ok := children[0].h.Value(handoff.ReadyName); !ok {
		return nil, nil
	}
	ctx := context.Background()
	if p.readyTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.readyTimeout)
		defer cancel()
	}
	errs := make([]error, len(children))
	var wg sync.WaitGroup
	for i, c := range children {
		wg.Go(func() { errs[i] = c.h.WaitReady(ctx) })
	}
	wg.Wait()
	for i, c := range children {
		if errs[i] != nil {
			return c, errs[i]
		}
	}
	what := "the child is"
	if n := len(children); n > 1 {
		what = fmt.Sprintf("all %d children are", n)
	}
	p.step(p.now(), "ready", what+" ready")
	return nil, nil
}

// notReady ends a run that stops before the set because child failed did
// not become ready (err): it ends the children, reports what became of
// each and the timeline if asked for, and returns the error to exit with.
func (p *parent) notReady(children []*child, failed *child, err error) error {
	killAll(children)
	waitAll(children)
	p.reportExits(children, p.now(), false)
	if p.tracing() {
		if terr := p.timeline(children, 0); terr != nil {
			return terr
		}
	}
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
	return fmt.Errorf("wait for %s to be ready: %w", name, err)
}

// startDeadline kills the children once -timeout has passed, unless it is 0.
// The function it returns stops the deadline and tells whether it killed a
// child, and when.
func (p *parent) startDeadline(children []*child) (stop func() (at int64, killed bool)) {
	if p.timeout <= 0 {
		return func() (int64, bool) { return 0, false }
	}
	type kill struct {
		at     int64
		killed bool
	}
	fired := make(chan kill, 1)
	timer := time.AfterFunc(p.timeout, func() {
		at := p.now()
		fired <- kill{at, killAll(children)}
	})
	return func() (int64, bool) {
		if timer.Stop() {
			return 0, false
		}
		// The timer fired: wait for its kills to return, which on Windows
		// can be after the children are gone.
		k := <-fired
		return k.at, k.killed
	}
}

// set sets the event and returns when it did. If it cannot, it kills the
// children rather than let them wait in vain.
func (p *parent) set(ev *handoff.Event, children []*child) (int64, error) {
	setAt := p.now()
	if err := ev.Set(); err != nil {
		killAll(children)
		return setAt, err
	}
	limit := "no timeout"
	if p.timeout > 0 {
		limit = "timeout " + p.timeout.String()
	}
	what := "the child"
	if len(children) > 1 {
		what = fmt.Sprintf("the %d children", len(children))
	}
	p.step(setAt, "event-set", "event set; waiting for "+what+" ("+limit+")")
	return setAt, nil
}

// killAll kills every child, and reports whether that killed one: a child
// that has exited already is not killed. It is the one way a run ends its
// children: when a start fails, when a child is not ready, when the event
// cannot be set and at -timeout.
func killAll(children []*child) bool {
	killed := false
	for _, c := range children {
		if c.h.Cmd.Process.Kill() == nil {
			killed = true
		}
	}
	return killed
}

// waitAll waits until every child has exited and its output is copied, and
// then closes its trace collector, which holds all its steps from then on.
func waitAll(children []*child) {
	var wg sync.WaitGroup
	for _, c := range children {
		wg.Go(func() { c.err = c.h.Wait() })
	}
	wg.Wait()
	for _, c := range children {
		if c.trace != nil {
			c.trace.Close()
		}
	}
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
// killed a child.
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
