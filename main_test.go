package handoff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
)

// The test binary is also the child (and grandchild) of these tests: with
// HANDOFF_TEST_HELPER set, TestMain runs the named helper instead of the
// tests. A helper reports what it observed (as JSON lines on its stdout, or
// in a file for a grandchild whose parent is gone), and the tests assert on
// those reports.
func TestMain(m *testing.M) {
	if name := os.Getenv("HANDOFF_TEST_HELPER"); name != "" {
		helper, ok := helpers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "helper: unknown helper %q\n", name)
			os.Exit(2)
		}
		helper(os.Args[1:])
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helpers are the roles of the test binary as a helper process, by name; each
// platform's test files add theirs in an init function.
var helpers = map[string]func(args []string){}

// pipeBackend is set by the pipe backend's tests (handoff_pipe_test.go):
// there the kernel cannot tell an event's pipe from a pipe passed as a file,
// and what a pipe holds bounds a semaphore's count.
var pipeBackend bool

// helperEnv is the environment of a helper process. A race-enabled binary
// sleeps a second before exiting unless told not to.
func helperEnv(helper string, more ...string) []string {
	env := append(os.Environ(), "HANDOFF_TEST_HELPER="+helper, "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	return append(env, more...)
}

// testEvent returns a new event, closed at the end of the test.
func testEvent(t *testing.T) *Event {
	t.Helper()
	ev, err := NewEvent()
	if err != nil {
		t.Fatalf("NewEvent() = %v", err)
	}
	t.Cleanup(func() { ev.Close() })
	return ev
}

// sentinel names the sentinel error err wraps: "" for nil, "other" for an
// error that wraps none of them.
func sentinel(err error) string {
	for _, s := range []error{ErrBadValue, ErrNotInherited, ErrWrongType, ErrNotPassed, ErrParentGone, context.DeadlineExceeded, errors.ErrUnsupported} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	if err != nil {
		return "other"
	}
	return ""
}
