package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/trace"
)

// wait opens the event, the lifeline and the message, reports what it
// verified, signals ready, waits, and prints the message.
func wait(cfg config, r *reporter) error {
	ppid := parentPID()
	hs, err := start(cfg, r, ppid)
	if err != nil {
		return err
	}
	got, err := open(cfg, hs, r, ppid)
	if err != nil {
		return err
	}
	defer got.close()
	if hs.Has(handoff.ReadyName) {
		if err := r.ready(hs.Ready); err != nil {
			return err
		}
	}
	if err := waitEvent(got, cfg.timeout, r); err != nil {
		return err
	}
	if got.msg != nil {
		return r.message(got.msg)
	}
	return nil
}

// start reports what the command line gave, and returns the handles
// argument parsed, or nil without -handles.
func start(cfg config, r *reporter, ppid int) (*handoff.Handles, error) {
	pid := os.Getpid()
	switch {
	case cfg.hasHandles:
		r.step("start", fmt.Sprintf("pid %d: got handles %s", pid, show(cfg.handles)),
			"pid", pid, "ppid", ppid, "handles", trace.Clean(cfg.handles))
		return handoff.ParseHandles(cfg.handles)
	case cfg.hasParent:
		r.step("start", fmt.Sprintf("pid %d: got event handle %s, lifeline handle %s", pid, show(cfg.event), show(cfg.parent)),
			"pid", pid, "ppid", ppid, "event", cfg.event, "parent", cfg.parent)
	default:
		r.step("start", fmt.Sprintf("pid %d: got event handle %s, no lifeline", pid, show(cfg.event)),
			"pid", pid, "ppid", ppid, "event", cfg.event)
	}
	return nil, nil
}

// received is what the child opened of what its parent passed.
type received struct {
	ev       *handoff.Event
	lifeline *handoff.Lifeline     // nil without one
	msg      *handoff.SharedMemory // nil without one
}

func (got *received) close() {
	if got.ev != nil {
		got.ev.Close()
	}
	if got.lifeline != nil {
		got.lifeline.Close()
	}
	if got.msg != nil {
		got.msg.Close()
	}
}

// open opens the event, the lifeline and the message, each verified as
// inherited and of its type, and reports each; hs is the handles argument,
// nil without -handles.
func open(cfg config, hs *handoff.Handles, r *reporter, ppid int) (*received, error) {
	got := new(received)
	var err error
	if got.ev, err = openEvent(cfg, hs); err != nil {
		return nil, err
	}
	v := handoff.FormatValue(got.ev.Handle())
	r.step("event-verified", fmt.Sprintf("verified event %s: inherited, type %s", v, eventType),
		"value", v, "type", eventType, "inherited", true)
	if got.lifeline, err = openLifeline(cfg, hs); err != nil {
		got.close()
		return nil, err
	}
	if got.lifeline != nil {
		v := handoff.FormatValue(got.lifeline.Handle())
		r.step("lifeline-verified", fmt.Sprintf("verified lifeline %s: inherited, type %s, parent pid %d", v, lifelineType, ppid),
			"value", v, "type", lifelineType, "inherited", true, "ppid", ppid)
	}
	if got.msg, err = openMessage(hs); err != nil {
		got.close()
		return nil, err
	}
	if got.msg != nil {
		v, n := handoff.FormatValue(got.msg.Handle()), len(got.msg.Bytes())
		r.step("message-verified", fmt.Sprintf("verified message %s: inherited, type %s, %d bytes", v, memoryType, n),
			"value", v, "type", memoryType, "inherited", true, "bytes", n)
	}
	return got, nil
}

// openEvent opens the event: listed as "event" in the handles argument hs,
// else given by -event or VALUE.
func openEvent(cfg config, hs *handoff.Handles) (*handoff.Event, error) {
	if hs != nil {
		return hs.Event("event")
	}
	return handoff.OpenEvent(cfg.event)
}

// openLifeline opens the lifeline, if the parent passed one: listed in the
// handles argument hs, else given by -parent. It returns nil for none.
func openLifeline(cfg config, hs *handoff.Handles) (*handoff.Lifeline, error) {
	switch {
	case hs != nil && hs.Has(handoff.LifelineName):
		return hs.Lifeline()
	case hs == nil && cfg.hasParent:
		return handoff.OpenLifeline(cfg.parent)
	}
	return nil, nil
}

// openMessage opens the message, if the handles argument hs lists one. It
// returns nil for none.
func openMessage(hs *handoff.Handles) (*handoff.SharedMemory, error) {
	if !hs.Has("message") {
		return nil, nil
	}
	return hs.SharedMemory("message")
}

// waitEvent waits until the event is set, the parent is gone or the
// timeout (0: none) has passed, and reports which.
func waitEvent(got *received, timeout time.Duration, r *reporter) error {
	ctx := context.Background()
	limit := "no timeout"
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
		limit = "timeout " + timeout.String()
	}
	r.step("waiting", "waiting for the event ("+limit+")", "timeout", timeout)
	v := handoff.FormatValue(got.ev.Handle())
	err := got.ev.WaitParent(ctx, got.lifeline)
	switch {
	case err == nil:
		r.step("woke", "Event signaled", "result", "signaled")
		return nil
	case errors.Is(err, handoff.ErrParentGone):
		r.step("woke", "stopped waiting: parent gone", "result", "parent-gone")
		return fmt.Errorf("wait for event %s: %w: the parent exited without setting it", v, err)
	case errors.Is(err, context.DeadlineExceeded):
		r.step("woke", "stopped waiting: timeout", "result", "timeout")
		return fmt.Errorf("wait for event %s: timeout: not set within %v: %w", v, timeout, err)
	default:
		r.step("woke", "stopped waiting: the wait failed", "result", "error")
		return fmt.Errorf("wait for event %s: %w", v, err)
	}
}

// readMessage returns the message in shared memory b: a little-endian
// uint64 length, then the text.
func readMessage(b []byte) ([]byte, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("message: shared memory of %d bytes has no length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("message: length %d exceeds the %d bytes of shared memory after it", n, len(b)-8)
	}
	return b[8 : 8+n], nil
}
