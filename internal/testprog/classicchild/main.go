// Classicchild is the classic sample's child, in Go: it takes a handle value
// as a bare decimal argv[1], waits on it, prints "Event signaled" and exits
// 0. Like the sample, it checks nothing about the handle: on Windows a File
// handle, for one, "signals" at once. Unlike the sample, it gives up after
// 30 seconds.
//
// Usage:
//
//	classicchild VALUE
//
// Exit codes: 0 signaled, 1 the wait failed, 2 usage, 7 timeout.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// errTimeout is returned by wait when the handle was not signaled in time.
var errTimeout = errors.New("timeout")

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: classicchild VALUE")
		os.Exit(2)
	}
	v, err := strconv.ParseUint(os.Args[1], 10, 32)
	if err != nil {
		fmt.Fprintf(os.Stderr, "classicchild: %v\n", err)
		os.Exit(2)
	}
	fmt.Printf("[CLASSIC CHILD] pid %d: waiting on handle %d\n", os.Getpid(), v)
	err = wait(uintptr(v), 30*time.Second)
	switch {
	case errors.Is(err, errTimeout):
		fmt.Fprintf(os.Stderr, "classicchild: handle %d: %v\n", v, err)
		os.Exit(7)
	case err != nil:
		fmt.Fprintf(os.Stderr, "classicchild: handle %d: %v\n", v, err)
		os.Exit(1)
	}
	fmt.Println("[CLASSIC CHILD] Event signaled")
}
