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
// -handles takes the names argument that handoff-parent fills in for
// {handles}: name=kind:value entries, comma-separated (see handoff.Handles).
// It must list the event as "event"; it may list the lifeline ("parent"),
// the ready event ("ready"), which the child signals once it has verified
// everything, and shared memory holding a message ("message": a
// little-endian uint64 length, then the text), which the child prints once
// the event is signaled.
//
// Before it waits, the child checks that VALUE is well formed and names a
// live handle that it inherited, to an event (an eventfd on Linux, a pipe's
// read end on macOS and the BSDs), and that the lifeline is a handle on its
// own parent process; it then makes both non-inheritable. It prints what it does as "[CHILD] ..." lines on standard
// output, errors as "handoff-child: ..." on standard error, and exits 0 only
// if the event was signaled. The exit codes are listed by -h and in
// internal/exitcode.
//
// With HANDOFF_TRACE=1 in its environment, as handoff-parent -trace or -json
// sets it, the child writes its steps as "handoff-trace: {...}" lines on
// standard output instead (see internal/trace), for the parent to put on one
// time axis with its own.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/exitcode"
	"github.com/handoff/handoff/internal/trace"
)

const synopsis = "handoff-child {[-event] VALUE [-parent VALUE] | -handles LIST} [-timeout D]"

func main() {
	os.Exit(exit(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// exit reports err on stderr, unless it calls for exit code 0, and returns
// the exit code.
func exit(err error, stderr io.Writer) int {
	code := exitcode.Of(err)
	if code != exitcode.OK {
		fmt.Fprintf(stderr, "handoff-child: %v\n", err)
	}
	return code
}

// config is what the command line asks for.
type config struct {
	event, parent string
	hasParent     bool   // -parent was given, even if empty
	handles       string // -handles, the names argument
	hasHandles    bool   // -handles was given
	timeout       time.Duration
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := parse(args, stdout)
	if err != nil {
		return err
	}
	r := &reporter{w: stdout, trace: os.Getenv(trace.EnvVar) == "1"}
	err = wait(cfg, r)
	code := exitcode.Of(err)
	if err != nil {
		r.step("exiting", fmt.Sprintf("exiting with code %d", code), "code", code, "error", trace.Clean(err.Error()))
	} else {
		r.step("exiting", fmt.Sprintf("exiting with code %d", code), "code", code)
	}
	return err
}

// parse parses the command line. Flags and the bare VALUE may come in any
// order; after "--" everything is taken as it is.
func parse(args []string, stdout io.Writer) (config, error) {
	cfg := config{}
	fs := flag.NewFlagSet("handoff-child", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.event, "event", "", "the event's `VALUE` (handoff-parent's {event})")
	fs.StringVar(&cfg.parent, "parent", "", "the lifeline's `VALUE` (handoff-parent's {parent}): a handle on the parent process")
	fs.StringVar(&cfg.handles, "handles", "", "the names argument `LIST` (handoff-parent's {handles}): name=kind:value,... with the event as \"event\", and optionally the lifeline, the ready event and the message")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "give up waiting after `D`; 0 means no limit")
	var bare []string
	for {
		if err := fs.Parse(args); err == flag.ErrHelp {
			fmt.Fprintf(stdout, "usage: %s\n\nFlags:\n", synopsis)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			fmt.Fprintf(stdout, "\nExit codes:\n%s", exitcode.Table(false))
			return cfg, err
		} else if err != nil {
			return cfg, usageError(err)
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			bare = append(bare, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		bare = append(bare, rest[0])
		args = rest[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["handles"] {
		cfg.hasHandles = true
		switch {
		case len(bare) > 0:
			return cfg, usageError(fmt.Errorf("both -handles and VALUE %q", bare[0]))
		case set["event"] || set["parent"]:
			return cfg, usageError(errors.New("-handles excludes -event and -parent"))
		case cfg.timeout < 0:
			return cfg, usageError(fmt.Errorf("negative -timeout %v", cfg.timeout))
		}
		return cfg, nil
	}
	switch {
	case len(bare) > 1:
		return cfg, usageError(fmt.Errorf("more than one VALUE: %q", bare))
	case len(bare) == 1 && set["event"]:
		return cfg, usageError(fmt.Errorf("both -event %q and VALUE %q", cfg.event, bare[0]))
	case len(bare) == 1:
		cfg.event = bare[0]
	case !set["event"]:
		return cfg, usageError(errors.New("no VALUE"))
	}
	if cfg.timeout < 0 {
		return cfg, usageError(fmt.Errorf("negative -timeout %v", cfg.timeout))
	}
	cfg.hasParent = set["parent"]
	return cfg, nil
}

func usageError(err error) error {
	return exitcode.Errorf(exitcode.Usage, "%w (usage: %s; -h for help)", err, synopsis)
}

// wait opens the event, the lifeline and the message, reports what it
// verified, signals ready, and waits.
func wait(cfg config, r *reporter) error {
	eventType, lifelineType, memoryType := "eventfd", "pidfd", "memfd"
	switch {
	case runtime.GOOS == "windows":
		eventType, lifelineType, memoryType = "Event", "Process", "Section"
	case pipeBackend:
		eventType, lifelineType, memoryType = "pipe", "socket", "shm"
	}
	ppid := parentPID()
	var hs *handoff.Handles
	switch {
	case cfg.hasHandles:
		r.step("start", fmt.Sprintf("pid %d: got handles %s", os.Getpid(), show(cfg.handles)),
			"pid", os.Getpid(), "ppid", ppid, "handles", trace.Clean(cfg.handles))
		var err error
		if hs, err = handoff.ParseHandles(cfg.handles); err != nil {
			return err
		}
		cfg.hasParent = hs.Has(handoff.LifelineName)
	case cfg.hasParent:
		r.step("start", fmt.Sprintf("pid %d: got event handle %s, lifeline handle %s", os.Getpid(), show(cfg.event), show(cfg.parent)),
			"pid", os.Getpid(), "ppid", ppid, "event", cfg.event, "parent", cfg.parent)
	default:
		r.step("start", fmt.Sprintf("pid %d: got event handle %s, no lifeline", os.Getpid(), show(cfg.event)),
			"pid", os.Getpid(), "ppid", ppid, "event", cfg.event)
	}

	var ev *handoff.Event
	var err error
	if hs != nil {
		ev, err = hs.Event("event")
	} else {
		ev, err = handoff.OpenEvent(cfg.event)
	}
	if err != nil {
		return err
	}
	defer ev.Close()
	v := handoff.FormatValue(ev.Handle())
	r.step("event-verified", fmt.Sprintf("verified event %s: inherited, type %s", v, eventType),
		"value", v, "type", eventType, "inherited", true)

	var lifeline *handoff.Lifeline
	if cfg.hasParent {
		if hs != nil {
			lifeline, err = hs.Lifeline()
		} else {
			lifeline, err = handoff.OpenLifeline(cfg.parent)
		}
		if err != nil {
			return err
		}
		defer lifeline.Close()
		v := handoff.FormatValue(lifeline.Handle())
		r.step("lifeline-verified", fmt.Sprintf("verified lifeline %s: inherited, type %s, parent pid %d", v, lifelineType, ppid),
			"value", v, "type", lifelineType, "inherited", true, "ppid", ppid)
	}

	var msg *handoff.SharedMemory
	if hs.Has("message") {
		if msg, err = hs.SharedMemory("message"); err != nil {
			return err
		}
		defer msg.Close()
		v := handoff.FormatValue(msg.Handle())
		r.step("message-verified", fmt.Sprintf("verified message %s: inherited, type %s, %d bytes", v, memoryType, len(msg.Bytes())),
			"value", v, "type", memoryType, "inherited", true, "bytes", len(msg.Bytes()))
	}

	if hs.Has(handoff.ReadyName) {
		if err := hs.Ready(); err != nil {
			return err
		}
		r.step("ready", "reported ready to the parent")
	}

	ctx := context.Background()
	limit := "no timeout"
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
		limit = "timeout " + cfg.timeout.String()
	}
	r.step("waiting", "waiting for the event ("+limit+")", "timeout", cfg.timeout)
	err = ev.WaitParent(ctx, lifeline)
	switch {
	case err == nil:
		r.step("woke", "Event signaled", "result", "signaled")
	case errors.Is(err, handoff.ErrParentGone):
		r.step("woke", "stopped waiting: parent gone", "result", "parent-gone")
		return fmt.Errorf("wait for event %s: %w: the parent exited without setting it", v, err)
	case errors.Is(err, context.DeadlineExceeded):
		r.step("woke", "stopped waiting: timeout", "result", "timeout")
		return fmt.Errorf("wait for event %s: timeout: not set within %v: %w", v, cfg.timeout, err)
	default:
		r.step("woke", "stopped waiting: the wait failed", "result", "error")
		return fmt.Errorf("wait for event %s: %w", v, err)
	}
	if msg != nil {
		text, err := readMessage(msg.Bytes())
		if err != nil {
			return err
		}
		h := fnv.New64a()
		h.Write(text)
		sum := fmt.Sprintf("%016x", h.Sum64())
		r.step("message-read", fmt.Sprintf("message (%d bytes, fnv64a %s): %s", len(text), sum, text),
			"bytes", len(text), "fnv64a", sum)
	}
	return nil
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
	if err := trace.WriteLine(r.w, trace.Event{Mono: t, Who: trace.Child, Step: step, Detail: trace.Fields(kv...)}); err != nil {
		fmt.Fprintf(r.w, "[CHILD] %s (no trace: %v)\n", msg, err)
	}
}
