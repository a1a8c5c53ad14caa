package main

import (
	"fmt"

	"github.com/handoff/handoff/internal/trace"
)

func (p *parent) tracing() bool { return p.trace || p.json }

// now returns the time for a step about to happen, when tracing.
func (p *parent) now() int64 {
	if !p.tracing() {
		return 0
	}
	t, err := trace.Now()
	if err != nil {
		return p.start // readable at the start, so this does not happen
	}
	return t
}

// timeline prints the parent's and the children's steps. Each child's
// "woke" step gets its latency after the set at setAt (0: the event was
// never set); with several children, a last step gives the spread between
// the first and the last to wake.
func (p *parent) timeline(children []*child, setAt int64) error {
	n := len(children)
	lists := [][]trace.Event{p.rec.Events()}
	var w wakes
	for _, c := range children {
		if c.trace != nil {
			lists = append(lists, p.childSteps(c, n, setAt, &w))
		}
	}
	events := trace.Merge(lists...)
	if n > 1 {
		events = append(events, w.spread(p.now(), n))
	}
	var err error
	if p.json {
		err = trace.WriteJSON(p.stdout, p.start, events)
	} else {
		err = trace.WriteTable(p.stdout, p.start, events)
	}
	if err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	return nil
}

// childSteps returns the steps that child c, one of n, reported, each named
// after it when n > 1. A signaled "woke" step gets its latency after the set
// at setAt, which w counts. Malformed trace lines, forwarded to standard
// error as they came, are counted there; steps beyond what the collector
// keeps are counted there too, and in a last "trace-dropped" step.
func (p *parent) childSteps(c *child, n int, setAt int64, w *wakes) []trace.Event {
	if bad := c.trace.Bad(); len(bad) > 0 {
		fmt.Fprintf(p.stderr, "handoff-parent: %d malformed trace line(s) from %s, forwarded above; first: %v\n", c.trace.Malformed(), c.name(n), bad[0])
	}
	events := c.trace.Events()
	for i := range events {
		e := &events[i]
		if n > 1 {
			e.Who = fmt.Sprintf("child%d", c.index)
		}
		if r, _ := e.Get("result"); e.Step == "woke" && r == "signaled" && setAt != 0 {
			e.Detail = append(e.Detail, trace.Field{Key: "after_set_ms", Value: trace.Millis(trace.Event{Mono: e.Mono}, setAt)})
			w.add(e.Mono - setAt)
		}
	}
	if d := c.trace.Dropped(); d > 0 {
		fmt.Fprintf(p.stderr, "handoff-parent: %s wrote more trace steps than are kept (%d steps, %d bytes): kept its first %d, dropped the %d after them\n",
			c.name(n), trace.MaxEvents, trace.MaxKept, len(events), d)
		at := p.now()
		if len(events) > 0 {
			at = events[len(events)-1].Mono
		}
		events = append(events, trace.Event{Mono: at, Who: trace.Parent, Step: "trace-dropped", Detail: trace.Fields("child", c.index, "steps", d)})
	}
	return events
}

// wakes gathers the children's wake latencies after the set.
type wakes struct {
	n           int   // children woken by the set
	first, last int64 // the least and the greatest latency, in nanoseconds
}

func (w *wakes) add(d int64) {
	if w.n == 0 || d < w.first {
		w.first = d
	}
	if w.n == 0 || d > w.last {
		w.last = d
	}
	w.n++
}

// spread returns the timeline's last step, at t, for a run of n children:
// how many woke, and the first and the last latency and the spread between.
func (w *wakes) spread(t int64, n int) trace.Event {
	e := trace.Event{Mono: t, Who: trace.Parent, Step: "wake-spread", Detail: trace.Fields("woke", w.n, "children", n)}
	if w.n > 0 {
		e.Detail = append(e.Detail,
			trace.Field{Key: "first_ms", Value: trace.Millis(trace.Event{Mono: w.first}, 0)},
			trace.Field{Key: "last_ms", Value: trace.Millis(trace.Event{Mono: w.last}, 0)},
			trace.Field{Key: "spread_ms", Value: trace.Millis(trace.Event{Mono: w.last - w.first}, 0)})
	}
	return e
}
