// Classicparent is the classic sample's parent, in Go: it creates an
// inheritable event, starts a child that inherits every inheritable handle
// (Windows: CreateProcess with bInheritHandles=TRUE and no handle list;
// Linux: fork and exec with the eventfd left open across exec; with
// handoff's pipe backend, a pipe's read end), with the
// event's value as a bare decimal last argument, sets the event, waits for
// the child and exits with its exit code.
//
// Usage:
//
//	classicparent [-lifeline] [-noset] CHILD [ARGS...]
//
// With -lifeline it also passes an inheritable handle on itself (Windows: a
// SYNCHRONIZE|PROCESS_QUERY_LIMITED_INFORMATION process handle; Linux: a
// pidfd left open across exec; with the pipe backend, one end of a Unix
// socket pair), and appends "-event V -parent P" instead of
// the bare value. With -noset it never sets the event: it waits up to a
// minute for someone to kill it, so that a test can watch the child notice
// that its parent is gone.
//
// Exit codes: the child's, or 1 if something failed, 2 for usage.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	lifeline := flag.Bool("lifeline", false, "also pass an inheritable lifeline: append -event V -parent P")
	noset := flag.Bool("noset", false, "never set the event; wait to be killed")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: classicparent [-lifeline] [-noset] CHILD [ARGS...]")
		os.Exit(2)
	}
	code, err := run(flag.Args(), *lifeline, *noset)
	if err != nil {
		fmt.Fprintf(os.Stderr, "classicparent: %v\n", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(argv []string, lifeline, noset bool) (int, error) {
	ev, err := newEvent()
	if err != nil {
		return 0, err
	}
	fmt.Printf("[CLASSIC PARENT] created inheritable event, handle %d\n", ev)
	if lifeline {
		l, err := newLifeline()
		if err != nil {
			return 0, err
		}
		fmt.Printf("[CLASSIC PARENT] created inheritable lifeline, handle %d (pid %d)\n", l, os.Getpid())
		argv = append(argv, "-event", strconv.FormatUint(uint64(ev), 10), "-parent", strconv.FormatUint(uint64(l), 10))
	} else {
		argv = append(argv, strconv.FormatUint(uint64(ev), 10))
	}
	c, err := start(argv)
	if err != nil {
		return 0, err
	}
	fmt.Printf("[CLASSIC PARENT] started child pid %d: %q\n", c.pid, argv)
	if noset {
		fmt.Println("[CLASSIC PARENT] not setting the event; waiting to be killed")
		time.Sleep(time.Minute)
		return 0, fmt.Errorf("not killed within a minute")
	}
	if err := setEvent(ev); err != nil {
		return 0, err
	}
	fmt.Println("[CLASSIC PARENT] event set")
	code, err := c.wait(time.Minute)
	if err != nil {
		return 0, err
	}
	fmt.Printf("[CLASSIC PARENT] child exited with code %d\n", code)
	return code, nil
}
