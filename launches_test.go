package handoff

// The concurrent-launches contract, on every backend: 50 children started
// at once from 50 goroutines each hold their own event and lifeline and
// nothing of their siblings'. The platform's handle lists and identity
// checks come from launchPlatform (launches_*_test.go).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"
)

func init() {
	registerHelper("launch-child", helperLaunchChild)
}

// launchHandle is a handle a child holds.
type launchHandle struct {
	Value   uintptr
	Inherit bool
	What    string `json:",omitempty"` // what the platform says it is
	ID      string `json:",omitempty"` // an identity, where the platform has one
}

// launchReport is what a "launch-child" saw before its opens, and what
// they answered.
type launchReport struct {
	Pid      int
	Std      [3]uintptr
	Handles  []launchHandle
	EventErr string `json:",omitempty"`
	LifeErr  string `json:",omitempty"`
}

// launchPlatform is what each platform gives TestConcurrentLaunches.
var launchPlatform struct {
	// std returns, in a child, the values of its standard handles.
	std func() [3]uintptr
	// handles lists, in a child, the handles it holds: at least every
	// inheritable one, and every one it could hold another child's event
	// as.
	handles func() []launchHandle
	// kindsOK tells whether the child's event and lifeline are of their
	// kinds.
	kindsOK func(event, lifeline launchHandle) bool
	// same tells, in the test, whether handle h of child pid is the
	// object of ev.
	same func(t *testing.T, pid int, h launchHandle, ev *Event) bool
}

// helperLaunchChild (args {event} {parent}) reports its handles, then opens
// its event and lifeline, and waits for the event.
func helperLaunchChild(args []string) {
	r := launchReport{Pid: os.Getpid(), Std: launchPlatform.std(), Handles: launchPlatform.handles()}
	ev, err := OpenEvent(args[0])
	r.EventErr = sentinel(err)
	parent, lerr := OpenLifeline(args[1])
	r.LifeErr = sentinel(lerr)
	json.NewEncoder(os.Stdout).Encode(r)
	if err != nil || lerr != nil {
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ev.WaitParent(ctx, parent); err != nil {
		fmt.Fprintf(os.Stderr, "launch-child: WaitParent: %v\n", err)
		os.Exit(1)
	}
}

// TestConcurrentLaunches starts 50 children at once from 50 goroutines,
// each with its own event, all 50 events open in this process throughout
// (4 rounds with HANDOFF_STRESS=full). Each child's inheritable handles
// must be its standard handles, its event and its lifeline, of their kinds;
// exactly one of its handles must be its own parent-side event; and none of
// the other 49 events may be among its handles. The figure: cross-leaks,
// the other children's events found in a child (target 0).
func TestConcurrentLaunches(t *testing.T) {
	const n = 50
	rounds := 1
	if os.Getenv("HANDOFF_STRESS") == "full" {
		rounds = 4
	}
	env := testEnv(t)
	leaks, checks := 0, 0
	start := time.Now()
	for round := range rounds {
		l, c := launchRound(t, n, env)
		leaks += l
		checks += c
		if t.Failed() {
			t.Fatalf("round %d failed", round)
		}
	}
	t.Logf("FIGURE cross-leaks: %d of %d checks (%d rounds of %d launches at once, %d*%d checks each) in %v",
		leaks, checks, rounds, n, n, n-1, time.Since(start).Round(time.Millisecond))
	if leaks != 0 {
		t.Errorf("cross-leaks: %d, want 0", leaks)
	}
}

// launchRound starts n children at once, checks them, sets their events
// and waits for them.
func launchRound(t *testing.T, n int, env func(string) []string) (leaks, checks int) {
	t.Helper()
	type launched struct {
		h   *Handoff
		dec *json.Decoder
		r   launchReport
		err error
	}
	events := make([]*Event, n)
	kids := make([]launched, n)
	for i := range kids {
		events[i] = testEvent(t)
		cmd := exec.Command(os.Args[0], "{event}", "{parent}")
		cmd.Env = env("launch-child")
		cmd.Stderr = os.Stderr
		outR, outW := pipe(t)
		t.Cleanup(func() { outR.Close() })
		cmd.Stdout = outW
		kids[i].h, kids[i].dec = Command(cmd), json.NewDecoder(outR)
		kids[i].h.Pass("event", events[i])
	}
	var done sync.WaitGroup
	gate := make(chan struct{})
	for i := range kids {
		k := &kids[i]
		done.Add(1)
		go func() {
			defer done.Done()
			<-gate
			k.err = k.h.Start()
			k.h.Cmd.Stdout.(*os.File).Close()
			if k.err == nil {
				k.err = k.dec.Decode(&k.r)
			}
		}()
	}
	began := time.Now()
	close(gate) // all n Start at once
	done.Wait()
	t.Logf("%d Starts from %d goroutines and their reports took %v in all", n, n, time.Since(began))
	defer func() {
		for i, k := range kids {
			if k.h.Cmd.Process == nil {
				continue
			}
			events[i].Set()
			if err := k.h.Wait(); err != nil {
				t.Errorf("child %d: Wait: %v", i, err)
			}
		}
	}()
	for i, k := range kids {
		if k.err != nil {
			t.Fatalf("child %d: %v", i, k.err)
		}
		if k.r.EventErr != "" || k.r.LifeErr != "" {
			t.Fatalf("child %d: OpenEvent: %q, OpenLifeline: %q; want both to succeed", i, k.r.EventErr, k.r.LifeErr)
		}
	}

	// All n children are running, blocked on their events.
	for i, k := range kids {
		v, _ := k.h.Value("event")
		lv, _ := k.h.Value(LifelineName)
		want := []uintptr{k.r.Std[0], k.r.Std[1], k.r.Std[2], v, lv}
		slices.Sort(want)
		var got []uintptr
		var ev, life launchHandle
		for _, h := range k.r.Handles {
			if h.Inherit {
				got = append(got, h.Value)
			}
			switch h.Value {
			case v:
				ev = h
			case lv:
				life = h
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) || !launchPlatform.kindsOK(ev, life) {
			t.Errorf("child %d: inheritable handles %v (%+v), want %v: the standard ones, event %d and lifeline %d", i, got, k.r.Handles, want, v, lv)
		}
		own := 0
		for _, h := range k.r.Handles {
			if launchPlatform.same(t, k.r.Pid, h, events[i]) {
				own++
				if h.Value != v {
					t.Errorf("child %d: its handle %d, not its event %d, is its parent-side event", i, h.Value, v)
				}
			}
		}
		if own != 1 {
			t.Errorf("child %d: %d of its handles are its parent-side event, want 1", i, own)
		}
		for j := range kids {
			if j == i {
				continue
			}
			checks++
			for _, h := range k.r.Handles {
				if launchPlatform.same(t, k.r.Pid, h, events[j]) {
					leaks++
					t.Errorf("child %d holds the event of child %d as its handle %d", i, j, h.Value)
					break
				}
			}
		}
	}
	return leaks, checks
}
