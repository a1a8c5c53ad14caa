package trace

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync"
)

// maxBuffered bounds what a Collector holds of a line without a newline: a
// longer line cannot be a trace line and is forwarded as it comes.
const maxBuffered = 64 << 10

// Bounds of what a Collector keeps of one child's trace: a child that
// writes more cannot grow its parent's memory. A trace line beyond them is
// counted and dropped (see [Collector.Dropped]), and only the errors of the
// first maxBadKept malformed lines are kept (see [Collector.Bad]).
const (
	MaxEvents  = 256      // steps kept
	MaxKept    = 64 << 10 // bytes of the kept steps' lines
	maxBadKept = 16
)

// A Collector is the writer for a child's standard output: it keeps the
// child's trace lines as events and forwards every other line, unchanged, to
// another writer. A line that starts with [Prefix] but does not parse is
// forwarded too, and counted. Its methods may be called from several
// goroutines at once.
type Collector struct {
	mu      sync.Mutex
	forward io.Writer
	buf     []byte
	long    bool // forwarding the rest of a line longer than maxBuffered
	events  []Event
	kept    int // bytes of the lines of events
	dropped int // well-formed trace lines beyond MaxEvents or MaxKept
	bad     []error
	nbad    int // malformed trace lines
}

// NewCollector returns a Collector that forwards what is not a trace line
// to forward.
func NewCollector(forward io.Writer) *Collector {
	return &Collector{forward: forward}
}

// Write takes a chunk of the child's output; lines may span chunks.
func (c *Collector) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.buf = append(c.buf, p...)
			if len(c.buf) > maxBuffered {
				c.forwardLong()
			}
			break
		}
		c.buf = append(c.buf, p[:i+1]...)
		p = p[i+1:]
		c.line()
	}
	return n, nil
}

// Close handles a last line that has no newline. It does not close the
// writer it forwards to.
func (c *Collector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.buf) > 0 {
		c.line()
	}
	c.long = false
	return nil
}

// line handles the line in c.buf.
func (c *Collector) line() {
	defer func() { c.buf = c.buf[:0] }()
	if c.long {
		c.long = false
		c.forward.Write(c.buf)
		return
	}
	if !bytes.HasPrefix(c.buf, []byte(Prefix)) {
		c.forward.Write(c.buf)
		return
	}
	e, err := ParseLine(c.buf)
	if err != nil {
		c.addBad(err)
		c.forward.Write(c.buf)
		return
	}
	if len(c.events) == MaxEvents || c.kept+len(c.buf) > MaxKept {
		c.dropped++
		return
	}
	c.events = append(c.events, e)
	c.kept += len(c.buf)
}

func (c *Collector) addBad(err error) {
	c.nbad++
	if len(c.bad) < maxBadKept {
		c.bad = append(c.bad, err)
	}
}

func (c *Collector) forwardLong() {
	if !c.long && bytes.HasPrefix(c.buf, []byte(Prefix)) {
		c.addBad(errLong)
	}
	c.long = true
	c.forward.Write(c.buf)
	c.buf = c.buf[:0]
}

var errLong = errors.New("trace: line longer than " + strconv.Itoa(maxBuffered) + " bytes")

// Events returns the child's steps collected so far, in the order the child
// wrote them.
func (c *Collector) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

// Bad returns the errors of the first lines (at most 16) that started with
// [Prefix] but did not parse; [Collector.Malformed] counts them all.
func (c *Collector) Bad() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.bad...)
}

// Malformed returns how many lines started with [Prefix] but did not parse.
func (c *Collector) Malformed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nbad
}

// Dropped returns how many well-formed trace lines were dropped, unkept,
// once the Collector held [MaxEvents] steps or [MaxKept] bytes of them.
func (c *Collector) Dropped() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}
