package handoff_test

// The package's examples: a parent and a child as a user writes them, and
// ParseHandles.

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"time"

	"github.com/handoff/handoff"
)

// The parent side: create an event, start a child that inherits it and a
// lifeline, set the event, wait for the child.
func Example() {
	ev, err := handoff.NewEvent()
	if err != nil {
		log.Fatal(err)
	}
	defer ev.Close()

	cmd := exec.Command("handoff-child", "-event", "{event}", "-parent", "{parent}")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	h := handoff.Command(cmd)
	h.Pass("event", ev) // fills {event}; {parent} gets the lifeline
	if err := h.Start(); err != nil {
		log.Fatal(err)
	}
	if err := ev.Set(); err != nil {
		log.Fatal(err)
	}
	if err := h.Wait(); err != nil {
		log.Fatal(err)
	}
}

// The child side: verify what the command line names, then wait for the
// event, the parent's end, or a deadline, whichever comes first.
func Example_child() {
	ev, err := handoff.OpenEvent(os.Args[2]) // -event VALUE
	if err != nil {
		// errors.Is(err, handoff.ErrNotInherited), ErrWrongType, ErrBadValue
		log.Fatal(err)
	}
	defer ev.Close()
	parent, err := handoff.OpenLifeline(os.Args[4]) // -parent VALUE
	if err != nil {
		log.Fatal(err)
	}
	defer parent.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch err := ev.WaitParent(ctx, parent); {
	case err == nil:
		fmt.Println("event signaled")
	case errors.Is(err, handoff.ErrParentGone):
		log.Fatal("parent gone")
	default:
		log.Fatal(err) // context.DeadlineExceeded
	}
}

// A child reads its handles argument, as the parent's {handles} placeholder
// filled it in, and opens each object by name and kind.
func ExampleParseHandles() {
	hs, err := handoff.ParseHandles("go=event:4,msg=shm:8,parent=lifeline:12")
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range hs.Names() {
		kind, _ := hs.Kind(name)
		v, _ := hs.Value(name)
		fmt.Printf("%s: %s %s\n", name, kind, v)
	}
	_, err = handoff.ParseHandles("go=event:4,go=event:8")
	fmt.Println(errors.Is(err, handoff.ErrBadValue))
	// Output:
	// go: event 4
	// msg: shm 8
	// parent: lifeline 12
	// true
}
