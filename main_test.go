package handoff

// TestMain and the helper processes: the test binary as its own child, the
// registry of helpers, and the tools every test file shares.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
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
	code := m.Run()
	if code == 0 && allTestsRan() {
		for _, name := range unusedHelpers() {
			fmt.Fprintf(os.Stderr, "helper %q is registered but no test started it\n", name)
			code = 1
		}
	}
	os.Exit(code)
}

// helpers are the roles of the test binary as a helper process, by name.
// Test files add theirs with registerHelper in an init function; the
// benchmarks' helpers, which only benchmarks start, are set directly and are
// exempt from the check that every helper is used.
var helpers = map[string]func(args []string){}

// checkedHelpers are the helpers added by registerHelper, each with the
// helpers it starts by itself.
var checkedHelpers = map[string][]string{}

// usedHelpers records the helpers a test started (helperEnv), and those they
// start in turn.
var usedHelpers sync.Map

// registerHelper adds a helper process role, as os/exec's tests do: a name
// registered twice panics, and once every test has run and passed, a
// registered helper that no test started fails the run, so that stale
// helpers do not pile up. starts lists the helpers that this one starts
// itself, by a name the test process never sees.
func registerHelper(name string, f func(args []string), starts ...string) {
	if _, dup := helpers[name]; dup {
		panic("helper registered twice: " + name)
	}
	helpers[name] = f
	checkedHelpers[name] = append(checkedHelpers[name], starts...)
}

// useHelper records that a test starts the named helper, and the helpers it
// starts in turn.
func useHelper(name string) {
	if _, seen := usedHelpers.LoadOrStore(name, true); seen {
		return
	}
	for _, next := range checkedHelpers[name] {
		useHelper(next)
	}
}

// helperArg returns name, the helper that a helper process is told to start
// on its command line, and records it as used.
func helperArg(name string) string {
	useHelper(name)
	return name
}

// unusedHelpers returns the registered helpers that no test started.
func unusedHelpers() []string {
	var out []string
	for name := range checkedHelpers {
		if _, ok := usedHelpers.Load(name); !ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// allTestsRan reports whether the run selected every test: no -run, -skip
// or -list.
func allTestsRan() bool {
	for _, name := range []string{"test.run", "test.skip", "test.list"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}

// pipeBackend is set by the pipe backend's tests (handoff_pipe_test.go):
// there the kernel cannot tell an event's pipe from a pipe passed as a file,
// and what a pipe holds bounds a semaphore's count.
var pipeBackend bool

// helperEnv is the environment of a helper process. A race-enabled binary
// sleeps a second before exiting unless told not to.
func helperEnv(helper string, more ...string) []string {
	useHelper(helper)
	env := append(os.Environ(), "HANDOFF_TEST_HELPER="+helper, "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	return append(env, more...)
}

// trackedEnv, where set (Linux), returns for a test the environment of the
// helpers it starts, marked so that any left running fails the test.
var trackedEnv func(t *testing.T) func(helper string) []string

// testEnv returns for a test the environment of the helpers it starts:
// trackedEnv's where it is set, else helperEnv's.
func testEnv(t *testing.T) func(helper string) []string {
	if trackedEnv != nil {
		return trackedEnv(t)
	}
	return func(helper string) []string { return helperEnv(helper) }
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
	for _, s := range []error{ErrBadValue, ErrNotPassed, ErrNotInherited, ErrWrongType, ErrParentGone, context.DeadlineExceeded, errors.ErrUnsupported} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	if err != nil {
		return "other"
	}
	return ""
}
