package handoff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
)

// A Group runs children behind one event, all or nothing: [Group.Start]
// starts each, [Group.Set] waits until every one is ready and only then sets
// the event, once, and [Group.Wait] waits for them all. If a child does not
// become ready (it failed its checks, exited, or the wait's context was done
// first), or one does not start, the group kills them all and the event is
// never set.
//
// A Group is made by [NewGroup], whose context bounds the whole run, as
// [exec.CommandContext]'s does a command: once it is done, every child that
// has not exited is killed ([Handoff.Kill]), and Wait reports it. Once a
// child has started, the caller must call Wait (which is all a failed Set
// leaves to do), as it would [Handoff.Wait]. The methods may be called from
// several goroutines at once; Set and Wait run one after the other.
//
//	g := handoff.NewGroup(ctx)
//	for range n {
//		h := handoff.Command(exec.Command("worker", "{handles}"))
//		h.Pass("go", ev)
//		h.ExpectReady()
//		if err := g.Start(h); err != nil {
//			break // Wait reports it
//		}
//	}
//	if err := g.Set(readyCtx, ev); err != nil {
//		return err // the children are killed and waited for
//	}
//	return g.Wait()
type Group struct {
	// OnReady, if not nil, is called by Set for each child as it reports
	// ready, with its index, from 0 in the order of Start. OnExit, if not
	// nil, is called for each child once it has exited and been waited
	// for, with what [Handoff.Wait] returned. The calls never overlap, so
	// they may write to one place without a lock. Set both before Start.
	OnReady func(i int, h *Handoff)
	OnExit  func(i int, h *Handoff, err error)

	// BeforeSet, if not nil, is called by Set once every child is ready,
	// right before it sets the event, never with OnReady or OnExit. A
	// program that relays the children's output can print there what
	// must come before their lines of the wake. If it returns an error,
	// Set kills the children, waits for them and returns it, and the
	// event is not set. Set it before Set.
	BeforeSet func() error

	ctx  context.Context
	stop func() bool // stops the kill at ctx's end

	mu       sync.Mutex // guards what follows
	children []*Handoff
	closed   bool  // Set or Wait has begun: Start refuses
	set      bool  // Set has been called
	reaped   bool  // every child has been waited for
	err      error // the first failure: a Start, Set or Wait's
	killedBy error // why the children were killed: ctx's cause, or Kill

	phase sync.Mutex // held by Set and Wait
	calls sync.Mutex // held while OnReady or OnExit runs
}

// A ChildError reports the child of a [Group] that made it fail: one that
// did not start, was not ready (wrapping [ErrNotReady], or the cause of the
// context that ended the wait), or did not exit successfully (wrapping an
// [*exec.ExitError]; and the cause of the group's context if that killed
// it). [ExitCode] maps it to the protocol's code.
type ChildError struct {
	Index   int      // in the order of Start, from 0
	Handoff *Handoff // its Cmd.ProcessState tells how the child ended, once waited for
	Err     error
}

func (e *ChildError) Error() string {
	pid := ""
	if e.Handoff != nil && e.Handoff.Cmd != nil && e.Handoff.Cmd.Process != nil {
		pid = fmt.Sprintf(" (pid %d)", e.Handoff.Cmd.Process.Pid)
	}
	return fmt.Sprintf("handoff: group child %d%s: %s", e.Index, pid, strings.TrimPrefix(e.Err.Error(), "handoff: "))
}

func (e *ChildError) Unwrap() error { return e.Err }

// NewGroup returns an empty Group whose children are killed once ctx is
// done (see [Group]). It panics if ctx is nil.
func NewGroup(ctx context.Context) *Group {
	if ctx == nil {
		panic("handoff: NewGroup: nil Context")
	}
	g := &Group{ctx: ctx}
	g.stop = context.AfterFunc(ctx, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if !g.reaped && g.killedBy == nil {
			g.killedBy = context.Cause(ctx)
			g.kill()
		}
	})
	return g
}

// Start starts h and adds it to the group. Call [Handoff.ExpectReady] on h
// first for Set to wait for it to be ready; a child started without it
// counts as ready once started. If h does not start, or the group's context
// is done, Start kills the children already started and returns an error,
// which Wait returns too. Start fails once Set or Wait has begun.
func (g *Group) Start(h *Handoff) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case h == nil:
		return errors.New("handoff: group: Start of a nil Handoff")
	case g.closed:
		return errors.New("handoff: group: Start after Set or Wait")
	case g.err != nil:
		return g.err
	}
	err := g.killedBy
	if err == nil {
		err = context.Cause(g.ctx)
	}
	if err == nil {
		err = h.Start()
	}
	if err != nil {
		g.err = &ChildError{Index: len(g.children), Handoff: h, Err: err}
		g.kill()
		return g.err
	}
	g.children = append(g.children, h)
	return nil
}

// Set waits until every child has reported ready, then calls BeforeSet,
// if set, and sets ev, once. If a child is not ready, because it exits
// first or ctx is done first (ctx bounds this wait only), or the group's
// context ends, Set kills every child, waits for them, and returns a [*ChildError] naming the child that
// failed first (for a ctx that ended the wait, the first in the order of
// Start that was not ready); ev is not set. If [Group.Kill] or the group's
// context ended the children first, the error says so instead. Wait then
// returns the same error.
func (g *Group) Set(ctx context.Context, ev *Event) error {
	g.phase.Lock()
	defer g.phase.Unlock()
	g.mu.Lock()
	called := g.set
	g.set, g.closed = true, true
	children, err := g.children, g.err
	g.mu.Unlock()
	switch {
	case called:
		return errors.New("handoff: group: Set called twice")
	case err != nil:
		return err
	case ev == nil:
		return g.fail(errors.New("handoff: group: Set of a nil Event"))
	}
	err = g.waitReady(ctx, children)
	// Children that Kill or the group's context ended are not ready, for
	// that reason.
	g.mu.Lock()
	killed := g.killedBy
	g.mu.Unlock()
	if killed == nil {
		killed = context.Cause(g.ctx)
	}
	if killed != nil {
		return g.fail(fmt.Errorf("handoff: group: children killed before the event was set: %w", killed))
	}
	if err != nil {
		return g.fail(err)
	}
	if g.BeforeSet != nil {
		var err error
		g.call(func() { err = g.BeforeSet() })
		if err != nil {
			return g.fail(err)
		}
	}
	if err := ev.Set(); err != nil {
		return g.fail(fmt.Errorf("handoff: group: set event: %w", err))
	}
	return nil
}

// waitReady waits until every child that expects it has signaled its ready
// object, and returns the child that failed first, if one did.
func (g *Group) waitReady(ctx context.Context, children []*Handoff) error {
	ready, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(g.ctx, func() { cancel(context.Cause(g.ctx)) })
	defer stop()

	errs := make([]error, len(children))
	var mu sync.Mutex
	first := -1 // the first child that failed of itself
	each(children, func(i int, h *Handoff) {
		if !h.wantReady {
			return
		}
		err := h.WaitReady(ready)
		if err == nil {
			g.call(func() {
				if g.OnReady != nil {
					g.OnReady(i, h)
				}
			})
			return
		}
		mu.Lock()
		defer mu.Unlock()
		errs[i] = err
		if cause := context.Cause(ready); first < 0 && (cause == nil || !errors.Is(err, cause)) {
			first = i
			cancel(errors.New("another child was not ready"))
		}
	})
	if first < 0 {
		for i, err := range errs {
			if err != nil {
				first = i
				break
			}
		}
	}
	if first < 0 {
		return nil
	}
	return &ChildError{Index: first, Handoff: children[first], Err: errs[first]}
}

// fail records err as the group's failure, unless there is one already,
// kills every child and waits for them, and returns the failure.
func (g *Group) fail(err error) error {
	g.mu.Lock()
	if g.err == nil {
		g.err = err
	}
	g.kill()
	g.mu.Unlock()
	g.reap()
	g.mu.Lock()
	defer g.mu.Unlock()
	var ce *ChildError
	if errors.As(g.err, &ce) && errors.Is(ce.Err, ErrNotReady) && ce.Handoff.Cmd.ProcessState != nil {
		ce.Err = fmt.Errorf("%w (%v)", ce.Err, ce.Handoff.Cmd.ProcessState)
	}
	return g.err
}

// Wait waits until every child has exited, and returns the group's first
// failure: a Start's or Set's, else the [*ChildError] of the first child, in
// the order of Start, that did not exit successfully, or nil. A child killed
// because the group's context was done reports its cause too, such as
// [context.DeadlineExceeded]. Wait releases what each [Handoff] kept; a
// second Wait returns the same.
func (g *Group) Wait() error {
	g.phase.Lock()
	defer g.phase.Unlock()
	g.mu.Lock()
	g.closed = true
	reaped := g.reaped
	g.mu.Unlock()
	if reaped {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.err
	}
	errs := g.reap()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return g.err
	}
	for i, err := range errs {
		if err == nil {
			continue
		}
		if g.killedBy != nil {
			err = fmt.Errorf("killed: %w: %w", g.killedBy, err)
		}
		g.err = &ChildError{Index: i, Handoff: g.children[i], Err: err}
		break
	}
	return g.err
}

// reap waits for every child, concurrently, and returns what each Wait
// returned. Once it returns, the group's context no longer kills.
func (g *Group) reap() []error {
	g.mu.Lock()
	children := g.children
	g.mu.Unlock()
	errs := make([]error, len(children))
	each(children, func(i int, h *Handoff) {
		errs[i] = h.Wait()
		g.call(func() {
			if g.OnExit != nil {
				g.OnExit(i, h, errs[i])
			}
		})
	})
	g.mu.Lock()
	g.reaped = true
	g.mu.Unlock()
	g.stop()
	return errs
}

// each calls f for every child at once, the last in the calling goroutine
// and the others each in a goroutine of its own, and returns once every
// call has returned: a group of one child waits without a goroutine, and
// without the wake of another thread when the wait ends.
func each(children []*Handoff, f func(i int, h *Handoff)) {
	if len(children) == 0 {
		return
	}
	last := len(children) - 1
	var wg sync.WaitGroup
	for i, h := range children[:last] {
		wg.Go(func() { f(i, h) })
	}
	f(last, children[last])
	wg.Wait()
}

// Kill kills every child started so far (see [Handoff.Kill]), and those
// that Start would start after; it does not wait for them, Wait does. Set
// does not set the event after a Kill, and a child it kills is reported by
// Wait as killed by Kill. Kill returns the errors of the kills,
// but for children that had exited already.
func (g *Group) Kill() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.killedBy == nil {
		g.killedBy = errKilled
	}
	return g.kill()
}

// errKilled is the cause that a Group's errors give for children ended by
// Group.Kill.
var errKilled = errors.New("Group.Kill called")

// kill kills every child; g.mu is held.
func (g *Group) kill() error {
	var errs []error
	for _, h := range g.children {
		if err := h.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// call runs f, one call at a time.
func (g *Group) call(f func()) {
	g.calls.Lock()
	defer g.calls.Unlock()
	f()
}
