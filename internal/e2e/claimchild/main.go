// Claimchild is a child for handoff-parent -children N in the end-to-end
// tests, where every child runs the same command but one must fail: the
// first of them to create DIR/claimed exits 2 without signaling ready, once
// the N-1 others have signaled it; the others are good children.
//
// Usage:
//
//	claimchild DIR N {handles}
//
// A good child opens the event and the lifeline of {handles}, signals
// ready, writes DIR/ready-PID, and waits for the event or its parent's end,
// printing "claimchild: pid PID woke WHAT". The one that claimed prints
// "claimchild: pid PID claimed" and, once it sees N-1 ready files (or after
// 30 s), exits 2 with its ready object unsignaled.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/handoff/handoff"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: claimchild DIR N {handles}")
		os.Exit(2)
	}
	dir := os.Args[1]
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "claimchild:", err)
		os.Exit(2)
	}
	pid := os.Getpid()
	if f, err := os.OpenFile(filepath.Join(dir, "claimed"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintf(f, "%d\n", pid)
		f.Close()
		fmt.Printf("claimchild: pid %d claimed\n", pid)
		for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			if ready, _ := filepath.Glob(filepath.Join(dir, "ready-*")); len(ready) >= n-1 {
				break
			}
		}
		os.Exit(2)
	} else if !errors.Is(err, os.ErrExist) {
		fmt.Fprintln(os.Stderr, "claimchild:", err)
		os.Exit(1)
	}
	if err := good(dir, pid, os.Args[3]); err != nil {
		fmt.Fprintf(os.Stderr, "claimchild: pid %d: %v\n", pid, err)
		os.Exit(1)
	}
}

// good is a well-behaved child: verify, signal ready, say so, wait.
func good(dir string, pid int, handles string) error {
	hs, err := handoff.ParseHandles(handles)
	if err != nil {
		return err
	}
	ev, err := hs.Event("event")
	if err != nil {
		return err
	}
	life, err := hs.Lifeline()
	if err != nil {
		return err
	}
	if err := hs.Ready(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ready-"+strconv.Itoa(pid)), nil, 0o644); err != nil {
		return err
	}
	fmt.Printf("claimchild: pid %d ready\n", pid)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = ev.WaitParent(ctx, life)
	what := "signaled"
	if err != nil {
		what = err.Error()
	}
	fmt.Printf("claimchild: pid %d woke %s\n", pid, what)
	return nil
}
