package main

import (
	"fmt"
	"hash/fnv"
	"io"
	"runtime"
	"strconv"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/exitcode"
	"github.com/handoff/handoff/internal/trace"
)

// The types of the objects the child verifies, as it names them.
var eventType, lifelineType, memoryType = typeNames()

func typeNames() (event, lifeline, memory string) {
	switch {
	case runtime.GOOS == "windows":
		return "Event", "Process", "Section"
	case pipeBackend:
		return "pipe", "socket", "shm"
	}
	return "eventfd", "pidfd", "memfd"
}

// reporter prints the child's steps: as "[CHILD] ..." lines, or as trace
// lines when the parent asked for them.
type reporter struct {
	w     io.Writer
	trace bool
}

// step reports one step: msg for a person, step and the details kv for the
// trace.
func (r *reporter) step(step, msg string, kv ...any) {
	if !r.trace {
		fmt.Fprintf(r.w, "[CHILD] %s\n", msg)
		return
	}
	t, err := trace.Now()
	if err != nil {
		fmt.Fprintf(r.w, "[CHILD] %s (no trace: %v)\n", msg, err)
		return
	}
	r.write(t, step, msg, kv...)
}

// write writes the trace line of a step that happened at t.
func (r *reporter) write(t int64, step, msg string, kv ...any) {
	if err := trace.WriteLine(r.w, trace.Event{Mono: t, Who: trace.Child, Step: step, Detail: trace.Fields(kv...)}); err != nil {
		fmt.Fprintf(r.w, "[CHILD] %s (no trace: %v)\n", msg, err)
	}
}

// ready reports ready to the parent with signal. Its line is written
// before the signal, so that a parent that relays the child's output
// (handoff-parent -children N) has it before it learns that the child is
// ready, and prints it before its own line of that. Its trace step is
// written once the signal is given, stamped right before it: no later than
// the parent can learn of it.
func (r *reporter) ready(signal func() error) error {
	const msg = "reported ready to the parent"
	if !r.trace {
		fmt.Fprintf(r.w, "[CHILD] %s\n", msg)
		return signal()
	}
	t, terr := trace.Now()
	if err := signal(); err != nil {
		return err
	}
	if terr != nil {
		fmt.Fprintf(r.w, "[CHILD] %s (no trace: %v)\n", msg, terr)
		return nil
	}
	r.write(t, "ready", msg)
	return nil
}

// maxMessageHead is how much of a message is copied to be written with the
// start of its line; the rest is written from the mapping as it is.
const maxMessageHead = 64 << 10

// message prints the message in shared memory msg, with its length and
// checksum. The text is written from the mapping, not copied, but for its
// first maxMessageHead bytes: a message may be large, and every child
// prints it.
func (r *reporter) message(msg *handoff.SharedMemory) error {
	text, err := readMessage(msg.Bytes())
	if err != nil {
		return err
	}
	h := fnv.New64a()
	h.Write(text)
	sum := fmt.Sprintf("%016x", h.Sum64())
	if r.trace {
		r.step("message-read", fmt.Sprintf("message (%d bytes, fnv64a %s)", len(text), sum), "bytes", len(text), "fnv64a", sum)
		return nil
	}
	// One write for the line's start, so that no other process's line
	// lands inside it; the rest of a long text from the mapping.
	line := fmt.Appendf(nil, "[CHILD] message (%d bytes, fnv64a %s): ", len(text), sum)
	head := min(len(text), maxMessageHead)
	line = append(line, text[:head]...)
	if head == len(text) {
		r.w.Write(append(line, '\n'))
		return nil
	}
	r.w.Write(line)
	r.w.Write(text[head:])
	io.WriteString(r.w, "\n")
	return nil
}

// exiting reports the exit code that err calls for, and err.
func (r *reporter) exiting(err error) {
	code := exitcode.Of(err)
	if err != nil {
		r.step("exiting", fmt.Sprintf("exiting with code %d", code), "code", code, "error", trace.Clean(err.Error()))
	} else {
		r.step("exiting", fmt.Sprintf("exiting with code %d", code), "code", code)
	}
}

// show returns a value as given, quoted unless it is all letters and
// digits.
func show(value string) string {
	for _, c := range value {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return strconv.Quote(value)
		}
	}
	if value == "" {
		return `""`
	}
	return value
}
