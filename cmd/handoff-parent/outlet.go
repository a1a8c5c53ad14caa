package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// maxQueued bounds what an outlet holds of the children's output: a child's
// copy waits while more is queued. The parent's own lines are never held
// back; they are few and short.
const maxQueued = 1 << 20

// stallLimit is how long the parent, once the run has ended, waits for its
// output to move: it gives up when no write has returned for that long.
const stallLimit = 10 * time.Second

// An outlet is one of the parent's standard files, written by a goroutine of
// its own so that no write holds up the run: a reader that does not read
// neither delays the deadlines nor keeps the children alive. The first
// write error ends the writing; what comes after it is dropped, so that the
// children's output still drains, and finish reports the error once.
type outlet struct {
	w    io.Writer
	file *os.File // w, when it is a file a child may write to directly

	mu      sync.Mutex
	changed sync.Cond // the queue, err or ended changed
	queue   []byte
	writing int       // bytes of the write in progress, 0 for none
	since   time.Time // when the write in progress began
	err     error     // the first write error
	ended   bool      // finish was called
	held    bool      // the children's output waits (hold)
	looping bool      // loop was started
}

func newOutlet(w io.Writer) *outlet {
	o := &outlet{w: w}
	o.file, _ = w.(*os.File)
	o.changed.L = &o.mu
	return o
}

// queued appends p to the queue, with o.mu held, and starts the writing
// goroutine on the first call: a run that writes nothing to standard
// error, as most do, starts none for it.
func (o *outlet) queued(p []byte) {
	o.queue = append(o.queue, p...)
	o.changed.Broadcast()
	if !o.looping {
		o.looping = true
		go o.loop()
	}
}

// Write queues p for the parent's own lines; it never waits.
func (o *outlet) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		o.queued(p)
	}
	return len(p), nil
}

// children returns the writer for the output the children send through the
// parent: it queues as Write does, but waits while maxQueued bytes are
// queued, so that a child that writes more than its reader reads is held
// back, not the parent's memory grown.
func (o *outlet) children() io.Writer { return childWriter{o} }

type childWriter struct{ o *outlet }

// forChild returns where a child's output, standard or error, goes: a
// file as it is, for the child to write to directly, when it is the only
// child; else through the parent, each line after prefix when there are
// several children.
func (o *outlet) forChild(several bool, prefix string) io.Writer {
	switch {
	case several:
		return &prefixWriter{w: o.children(), prefix: prefix}
	case o.file != nil:
		return o.file
	}
	return o.children()
}

func (c childWriter) Write(p []byte) (int, error) {
	o := c.o
	o.mu.Lock()
	defer o.mu.Unlock()
	for (o.held || len(o.queue) >= maxQueued) && o.err == nil && !o.ended {
		o.changed.Wait()
	}
	if o.err == nil {
		o.queued(p)
	}
	return len(p), nil
}

// hold makes the children's output wait, from now until release, behind
// what the parent writes meanwhile: a line of the parent's that tells what
// happened before the children could act on it (the event set) comes
// before their lines that follow from it. It does not wait for the
// writes of the queue.
func (o *outlet) hold() {
	o.mu.Lock()
	o.held = true
	o.mu.Unlock()
}

// release lets the children's output go on after hold.
func (o *outlet) release() {
	o.mu.Lock()
	o.held = false
	o.changed.Broadcast()
	o.mu.Unlock()
}

// flush waits until what is queued now is written, the writing failed, or
// d has passed: a line of the parent's that a child writing to the same
// file directly could overtake goes out first, and a reader that does not
// read holds the run up for d at most.
func (o *outlet) flush(d time.Duration) {
	wake := time.AfterFunc(d, func() {
		o.mu.Lock()
		o.changed.Broadcast()
		o.mu.Unlock()
	})
	defer wake.Stop()
	deadline := time.Now().Add(d)
	o.mu.Lock()
	defer o.mu.Unlock()
	for (len(o.queue) > 0 || o.writing > 0) && o.err == nil && time.Now().Before(deadline) {
		o.changed.Wait()
	}
}

// loop writes what is queued, until the first error.
func (o *outlet) loop() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		for len(o.queue) == 0 && !o.ended {
			o.changed.Wait()
		}
		if len(o.queue) == 0 {
			return
		}
		b := o.queue
		o.queue = nil
		o.writing, o.since = len(b), time.Now()
		o.changed.Broadcast() // finish times the write from now
		o.mu.Unlock()
		_, err := o.w.Write(b)
		o.mu.Lock()
		o.writing = 0
		if err != nil {
			o.err = err
			o.queue = nil
		}
		o.changed.Broadcast()
		if err != nil {
			return
		}
	}
}

// finish waits until what is queued is written, and returns the first
// write error. It gives up, with an error, when a write has not returned
// for stallLimit.
func (o *outlet) finish() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ended = true
	o.changed.Broadcast()
	for {
		switch {
		case o.err != nil:
			return o.err
		case len(o.queue) == 0 && o.writing == 0:
			return nil
		case o.writing > 0 && time.Since(o.since) >= stallLimit:
			return fmt.Errorf("%w: a write did not return within %v; %d bytes not written", errStalled, stallLimit, o.writing+len(o.queue))
		}
		if o.writing == 0 {
			o.changed.Wait() // for the loop to take the queue
			continue
		}
		wake := time.AfterFunc(stallLimit-time.Since(o.since), func() {
			o.mu.Lock()
			o.changed.Broadcast()
			o.mu.Unlock()
		})
		o.changed.Wait()
		wake.Stop()
	}
}

var errStalled = errors.New("not read")
