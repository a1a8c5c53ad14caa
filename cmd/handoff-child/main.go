// Handoff-child waits for an event that its parent passed it by handle
// inheritance, after checking that it really received one.
//
// Usage:
//
//	handoff-child [-event] VALUE [-parent VALUE] [-timeout D]
//	handoff-child -handles LIST [-timeout D]
//
// VALUE is the event's handle (Windows) or file descriptor (Linux) in this
// process, in decimal or 0x-prefixed hexadecimal, as handoff-parent fills it
// in for {event}. The bare form "handoff-child VALUE" is the classic sample's
// convention (a decimal argv[1]), so a parent written to that convention can
// run this child. -parent names the lifeline ({parent}): a handle on the
// parent process, which ends the wait with "parent gone" if the parent exits
// first. -timeout bounds the wait (default 30s; 0 means no limit).
//
// -handles takes the handles argument that handoff-parent fills in for
// {handles}: name=kind:value entries, comma-separated (see handoff.Handles).
// It must list the event as "event"; it may list the lifeline ("parent"),
// the ready event ("ready"), which the child signals once it has verified
// everything (its line "reported ready to the parent" written just before,
// so that a parent relaying its output has the line before the signal),
// and shared memory holding a message ("message": a little-endian uint64
// length, then the text), which the child prints once the event is
// signaled.
//
// Before it waits, the child checks that VALUE is well formed and names a
// live handle that it inherited, to an event (an eventfd on Linux, a pipe's
// read end on macOS and the BSDs), and that the lifeline is a handle on its
// own parent process; it then makes both non-inheritable. It prints what it
// does as "[CHILD] ..." lines on standard output, errors as
// "handoff-child: ..." on standard error, and exits 0 only if the event was
// signaled. The exit codes are the protocol's (handoff.ExitCode), listed by -h.
//
// With HANDOFF_TRACE=1 in its environment, as handoff-parent -trace or -json
// sets it, the child writes its steps as "handoff-trace: {...}" lines on
// standard output instead (see internal/trace), for the parent to put on one
// time axis with its own.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/exitcode"
	"github.com/handoff/handoff/internal/trace"
)

func main() {
	os.Exit(exit(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// exit reports err on stderr, unless it calls for exit code 0, and returns
// the exit code.
func exit(err error, stderr io.Writer) int {
	code := exitcode.Of(err)
	if code != handoff.ExitOK {
		fmt.Fprintf(stderr, "handoff-child: %v\n", err)
	}
	return code
}

// run runs handoff-child with the command-line arguments args.
func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := parse(args, stdout)
	if err != nil {
		return err
	}
	r := &reporter{w: stdout, trace: os.Getenv(trace.EnvVar) == "1"}
	err = wait(cfg, r)
	r.exiting(err)
	return err
}
