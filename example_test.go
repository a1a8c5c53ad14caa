package handoff_test

// The package's examples: a parent and a child as a user writes them, and
// ParseHandles. The examples that run start this test binary again as their
// child, with HANDOFF_EXAMPLE naming the part it plays: each begins as a
// program that starts itself would, with the child's part, and init below
// dispatches to it before the tests run.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"time"

	"github.com/handoff/handoff"
)

func init() {
	switch os.Getenv("HANDOFF_EXAMPLE") {
	case "ready":
		ExampleHandoff_ExpectReady()
	case "pool":
		ExampleGroup()
	case "file":
		ExampleFile()
	case "middle", "leaf":
		Example_nested()
	}
}

// fatal ends a child, with the protocol's exit code for err.
func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(handoff.ExitCode(err))
}

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

// One child, with the ready handshake: the parent sets the event only once
// the child has verified what it got. The child reads its handles argument
// from an environment variable: {handles} is filled in Cmd.Env as in
// Cmd.Args.
func ExampleHandoff_ExpectReady() {
	if os.Getenv("HANDOFF_EXAMPLE") == "ready" { // the child
		hs, err := handoff.ParseHandles(os.Getenv("HANDOFF_HANDLES"))
		if err != nil {
			fatal(err) // exit code 3: handoff.ExitBadValue
		}
		ev, err := hs.Event("go")
		if err != nil {
			fatal(err) // handoff.ExitNotInherited, ExitWrongType...
		}
		parent, err := hs.Lifeline()
		if err != nil {
			fatal(err)
		}
		if err := hs.Ready(); err != nil { // verified: tell the parent
			fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := ev.WaitParent(ctx, parent); err != nil {
			fatal(err) // handoff.ExitParentGone, ExitTimeout
		}
		fmt.Println("child: event set")
		os.Exit(0)
	}

	ev, err := handoff.NewEvent()
	if err != nil {
		log.Fatal(err)
	}
	defer ev.Close()
	cmd := exec.Command(os.Args[0]) // this program, as the child
	cmd.Env = append(os.Environ(), "HANDOFF_EXAMPLE=ready", "HANDOFF_HANDLES={handles}")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	h := handoff.Command(cmd)
	h.Pass("go", ev)
	h.ExpectReady()
	if err := h.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.WaitReady(ctx); err != nil {
		h.Kill()
		h.Wait()
		log.Fatal(err) // errors.Is(err, handoff.ErrNotReady): it refused its handles
	}
	fmt.Println("parent: child ready")
	if err := ev.Set(); err != nil {
		log.Fatal(err)
	}
	if err := h.Wait(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// parent: child ready
	// child: event set
}

// A pool of four workers sharing a semaphore and shared memory, behind one
// start event: the group sets it once every worker is ready, or kills them
// all. The workers take jobs from a counter in the shared memory, which
// the semaphore guards, and write each job's result beside it.
func ExampleGroup() {
	const jobs = 20
	if os.Getenv("HANDOFF_EXAMPLE") == "pool" { // a worker
		hs, err := handoff.ParseHandles(os.Args[1])
		if err != nil {
			fatal(err)
		}
		start, err := hs.Event("start")
		if err != nil {
			fatal(err)
		}
		lock, err := hs.Semaphore("lock")
		if err != nil {
			fatal(err)
		}
		mem, err := hs.SharedMemory("jobs")
		if err != nil {
			fatal(err)
		}
		parent, err := hs.Lifeline()
		if err != nil {
			fatal(err)
		}
		if err := hs.Ready(); err != nil {
			fatal(err)
		}
		ctx := context.Background()
		if err := start.WaitParent(ctx, parent); err != nil {
			fatal(err)
		}
		b := mem.Bytes() // the next job, then each job's result
		for {
			if err := lock.Acquire(ctx); err != nil {
				fatal(err)
			}
			n := binary.NativeEndian.Uint64(b)
			binary.NativeEndian.PutUint64(b, n+1)
			if err := lock.Release(1); err != nil {
				fatal(err)
			}
			if n >= jobs {
				os.Exit(0)
			}
			binary.NativeEndian.PutUint64(b[8+8*n:], n*n)
		}
	}

	start, err := handoff.NewEvent()
	if err != nil {
		log.Fatal(err)
	}
	defer start.Close()
	lock, err := handoff.NewSemaphore(1)
	if err != nil {
		log.Fatal(err)
	}
	defer lock.Close()
	mem, err := handoff.NewSharedMemory(8 + 8*jobs)
	if err != nil {
		log.Fatal(err)
	}
	defer mem.Close()

	g := handoff.NewGroup(context.Background())
	for range 4 {
		cmd := exec.Command(os.Args[0], "{handles}") // this program, as a worker
		cmd.Env = append(os.Environ(), "HANDOFF_EXAMPLE=pool")
		cmd.Stderr = os.Stderr
		h := handoff.Command(cmd)
		h.Pass("start", start)
		h.Pass("lock", lock)
		h.Pass("jobs", mem)
		h.ExpectReady()
		if err := g.Start(h); err != nil {
			break // Set and Wait report it
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.Set(ctx, start); err != nil {
		log.Fatal(err) // every worker is killed and waited for; which one failed, and why
	}
	if err := g.Wait(); err != nil {
		log.Fatal(err)
	}

	sum := uint64(0)
	for n := range jobs {
		sum += binary.NativeEndian.Uint64(mem.Bytes()[8+8*n:])
	}
	fmt.Println("sum of the squares of 0 to 19:", sum)
	// Output:
	// sum of the squares of 0 to 19: 2470
}

// A file passed to a child: here the write end of a pipe, which the child
// writes to and the parent reads. The parent closes its own write end once
// the child has started, so that it reads to the end of the child's output.
func ExampleFile() {
	if os.Getenv("HANDOFF_EXAMPLE") == "file" { // the child
		hs, err := handoff.ParseHandles(os.Args[1])
		if err != nil {
			fatal(err)
		}
		out, err := hs.File("out")
		if err != nil {
			fatal(err)
		}
		fmt.Fprintln(out, "hello from the child")
		out.Close()
		os.Exit(0)
	}

	r, w, err := os.Pipe()
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(os.Args[0], "{handles}")
	cmd.Env = append(os.Environ(), "HANDOFF_EXAMPLE=file")
	h := handoff.Command(cmd)
	h.Pass("out", handoff.File(w))
	err = h.Start()
	w.Close()
	if err != nil {
		log.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		log.Fatal(err)
	}
	if err := h.Wait(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("read %q\n", got)
	// Output:
	// read "hello from the child\n"
}

// A child that is also a parent: it passes on the event it got to a child
// of its own. The event reaches both, and each waits on its own parent's
// lifeline. The middle process opens the event before it starts its child,
// for it passes on the Event it opened; a handle it has not opened yet
// would still pass its checks after that start (TestRelay), and reaches
// the child only if passed.
func Example_nested() {
	switch os.Getenv("HANDOFF_EXAMPLE") {
	case "middle", "leaf": // the child, and the grandchild
		hs, err := handoff.ParseHandles(os.Args[1])
		if err != nil {
			fatal(err)
		}
		ev, err := hs.Event("go")
		if err != nil {
			fatal(err)
		}
		parent, err := hs.Lifeline()
		if err != nil {
			fatal(err)
		}
		if err := hs.Ready(); err != nil {
			fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var leaf *handoff.Handoff
		if os.Getenv("HANDOFF_EXAMPLE") == "middle" {
			cmd := exec.Command(os.Args[0], "{handles}")
			cmd.Env = append(os.Environ(), "HANDOFF_EXAMPLE=leaf")
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			leaf = handoff.Command(cmd)
			leaf.Pass("go", ev) // the event this process got, passed on
			leaf.ExpectReady()
			if err := leaf.Start(); err != nil {
				fatal(err)
			}
			if err := leaf.WaitReady(ctx); err != nil {
				leaf.Kill()
				leaf.Wait()
				fatal(err)
			}
		}
		if err := ev.WaitParent(ctx, parent); err != nil {
			fatal(err)
		}
		if leaf != nil {
			if err := leaf.Wait(); err != nil {
				fatal(err)
			}
		}
		fmt.Println(os.Getenv("HANDOFF_EXAMPLE") + ": event set")
		os.Exit(0)
	}

	ev, err := handoff.NewEvent()
	if err != nil {
		log.Fatal(err)
	}
	defer ev.Close()
	cmd := exec.Command(os.Args[0], "{handles}")
	cmd.Env = append(os.Environ(), "HANDOFF_EXAMPLE=middle")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	h := handoff.Command(cmd)
	h.Pass("go", ev)
	h.ExpectReady()
	if err := h.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.WaitReady(ctx); err != nil {
		h.Kill()
		h.Wait()
		log.Fatal(err)
	}
	if err := ev.Set(); err != nil {
		log.Fatal(err)
	}
	if err := h.Wait(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// leaf: event set
	// middle: event set
}
