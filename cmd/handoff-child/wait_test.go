//go:build unix || windows

package main

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff/handoff"
)

// The child's contracts, run with objects made by hand for each backend by
// the fixtures of wait_linux_test.go, wait_pipe_test.go and
// wait_windows_test.go:
//
//	newEvent(t, set)  an event, set or not
//	newLifeline(t)    a lifeline on this process, the child's parent
//	notEvents(t)      objects that are not events
//	notLifelines(t)   objects that are not lifelines
//	wantEventType, wantLifelineType: what the child calls them

// A decoy is an object given to the child as what it is not.
type decoy struct {
	what string
	obj  object
}

// TestSignaled runs the child on an event that is already set: as the bare
// VALUE with no lifeline, and with -event and a lifeline on its parent. It
// must verify each, wait and exit 0.
func TestSignaled(t *testing.T) {
	for _, lifeline := range []bool{false, true} {
		t.Run("lifeline="+strconv.FormatBool(lifeline), func(t *testing.T) {
			var in inheritance
			ev := in.pass(newEvent(t, true))
			args := []string{ev}
			start := ": got event handle " + ev + ", no lifeline"
			want := []string{"[CHILD] verified event " + ev + ": inherited, type " + wantEventType}
			if lifeline {
				parent := in.pass(newLifeline(t))
				args = []string{"-event", ev, "-parent", parent}
				start = ": got event handle " + ev + ", lifeline handle " + parent
				want = append(want, "[CHILD] verified lifeline "+parent+": inherited, type "+wantLifelineType+", parent pid "+strconv.Itoa(os.Getpid()))
			}
			want = append(want,
				"[CHILD] waiting for the event (timeout 30s)",
				"[CHILD] Event signaled",
				"[CHILD] exiting with code 0")
			stdout, code := in.run(t, args...)
			if code != 0 {
				t.Fatalf("child exited %d, want 0\n%s", code, stdout)
			}
			checkSteps(t, stdout, start, want)
		})
	}
}

// TestTimeout runs the child on an event nobody sets.
func TestTimeout(t *testing.T) {
	var in inheritance
	ev := in.pass(newEvent(t, false))
	stdout, code := in.run(t, ev, "-timeout", "50ms")
	if code != handoff.ExitTimeout {
		t.Fatalf("child exited %d, want %d (timeout)\n%s", code, handoff.ExitTimeout, stdout)
	}
	if !strings.HasSuffix(stdout, "[CHILD] stopped waiting: timeout\n[CHILD] exiting with code 7\n") || strings.Contains(stdout, "signaled") {
		t.Errorf("printed:\n%s", stdout)
	}
}

// TestWrongType gives the child what is not an event as its event, and
// what is not a lifeline as its lifeline (with a set event): it must refuse
// each as the wrong type, and never wait.
func TestWrongType(t *testing.T) {
	for _, d := range notEvents(t) {
		var in inheritance
		stdout, code := in.run(t, in.pass(d.obj))
		if code != handoff.ExitWrongType || strings.Contains(stdout, "waiting") {
			t.Errorf("child given %s as its event exited %d, want %d (wrong type)\n%s", d.what, code, handoff.ExitWrongType, stdout)
		}
	}
	for _, d := range notLifelines(t) {
		var in inheritance
		ev := in.pass(newEvent(t, true))
		stdout, code := in.run(t, ev, "-parent", in.pass(d.obj))
		if code != handoff.ExitWrongType || strings.Contains(stdout, "waiting") {
			t.Errorf("child given %s as its lifeline exited %d, want %d (wrong type)\n%s", d.what, code, handoff.ExitWrongType, stdout)
		}
	}
}
