// Handoff-parent creates an event, starts children that inherit exactly that
// event and a lifeline to the parent, signals the event and waits for the
// children: the classic handle inheritance lesson, done with package
// handoff.
//
// Usage:
//
//	handoff-parent [-children N] [-message TEXT | -message-file FILE] [-max-message N]
//	               [-timeout D] [-ready-timeout D] [-trace | -json] [-- CHILD ARGS...]
//
// Without "--" the child is handoff-child, found next to handoff-parent's own
// executable and then on PATH, run as
//
//	handoff-child -handles {handles}
//
// with, when its default of 30s would not do, a -timeout that outlasts the
// parent's own deadline for the set: the children are started one after
// another, within 1s each (else the run fails with a timeout), and the
// event is set once all are ready, within -ready-timeout of the last start;
// so each child may have to wait for the starts after its own. Under Wine,
// where a start takes a tenth of a second or more, 1024 children take
// minutes to start. The parent, not the child, then bounds the wait: it
// kills the children at its deadlines, and its death ends them through the
// lifeline. (Overlapping starts would not do it: under Wine the
// wineserver, one process, serializes them; nor a child deadline counted
// from the set, which the child learns only when it happens.)
//
// After "--" any command can be given. In its arguments, {event} is replaced
// by the child's value of the event's handle (Windows) or file descriptor
// (Linux), in decimal; {parent} by the value of the lifeline, a handle on
// the parent process; {ready} by the value of the ready event; {message} by
// the value of the message's shared memory; and {handles} by the handles
// argument, name=kind:value entries for all of them (see handoff.Handles).
// One argument must name {event} or {handles}. The lifeline is passed only if
// one names {parent} or {handles}, and the ready handshake is used only if
// one names {ready} or {handles}. A child written to the classic sample's
// convention runs as "handoff-parent -- child {event}". The placeholders are
// replaced in the arguments only: the environment is passed as it is, with
// or without tracing.
//
// The steps are: create the event (and, with -message or -message-file,
// shared memory holding the message after its length, a little-endian
// uint64: at most -max-message bytes, default 64 MiB, read from the file
// within -ready-timeout, straight into the shared memory when it is a
// regular file); start -children N children (on Windows each in a job object that
// kills it with the parent; on Linux with a parent-death signal); wait until
// every child has signaled its ready event, within -ready-timeout (default
// 10s), or else name the first child that was not ready, kill them all and
// never set the event; set the event once; wait for the children, within
// -timeout (default 30s; 0 means no limit), killing them at the deadline;
// close everything. Each step is reported as a "[PARENT] ..." line on
// standard output, between the children's own output, each of whose lines
// starts with "[i] " when there are several; the children's standard error
// is the parent's. With several children the lines keep causal order: the
// parent relays each child's standard output through a pipe of its own,
// and before it says that all are ready it copies what each wrote before
// its ready signal (handoff-child writes "reported ready" before it); from
// before the set until "event set" is queued, the children's output waits.
// The children are a handoff.Group. The parent exits 0 only if every child exited 0. The exit
// codes are the protocol's (handoff.ExitCode), listed by -h.
//
// The parent's own output never holds up the run: its lines are written by
// a goroutine of their own, so -ready-timeout and -timeout end the run,
// children included, whatever the reader of standard output does. Once the
// run has ended, the parent waits for its output to be written as long as
// writes return, and gives up after 10s of a stuck write. A failing
// standard output (a full disk, a closed pipe or descriptor) is the
// parent's own error: the rest of the output is dropped, so the children
// are not blocked or killed by it, and the parent reports the error once
// and exits 1 (or with the run's own code, if the run failed too).
//
// -trace and -json replace the "[PARENT]" lines with a timeline printed after
// the run: every process's steps on one time axis, in milliseconds since the
// parent started, read from the system's monotonic clock in each process,
// with each child's wake latency after the set and, for several children,
// the spread between the first and the last to wake. -trace prints it as a
// table, -json as JSON lines, one object per step, and nothing else on
// standard output. A child learns to report its steps from HANDOFF_TRACE=1 in
// its environment and writes them as "handoff-trace: ..." lines on its
// standard output, which the parent reads; the child's other output goes to
// the parent's standard error. docs/trace.md gives the moment each step
// marks and the schema of a -json line, whose numbers and booleans are
// JSON's; internal/trace the format of a child's lines.
package main

import (
	"fmt"
	"os"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/exitcode"
)

func main() {
	if err := run(os.Args[1:], standardOutput(), os.Stderr); err != nil {
		code := exitcode.Of(err)
		if code != handoff.ExitOK {
			fmt.Fprintf(os.Stderr, "handoff-parent: %v\n", err)
		}
		os.Exit(code)
	}
}
