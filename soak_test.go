package handoff

// The soak, on every backend: many whole handoffs from one process must
// leave no handle behind in it, and no process running. What counts as a
// leak comes from soakPlatform (soak_*_test.go).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

func init() {
	registerHelper("soak-parent", helperSoakParent, "soak-child")
	registerHelper("soak-child", helperSoakChild)
}

// soakWarmup is how many handoffs the soak does before its first count: the
// runtime's threads, timers and the system's own objects settle in them.
const soakWarmup = 10

// soakHandle is a handle of the soak's parent.
type soakHandle struct {
	Value uintptr
	What  string // what the platform says it is: its type on Windows
}

// soakReport is what a "soak-parent" reports.
type soakReport struct {
	Handoffs, Failures int
	FirstFailure       string `json:",omitempty"`
	// Left counts the processes of a handoff still running after its
	// Wait returned, where the platform can watch them.
	Left int
	// First and End are the parent's handles after the warm-up and at the
	// end; Trace every 100 handoffs, where they run one at a time.
	First, End []soakHandle
	Trace      [][]soakHandle `json:",omitempty"`
	Notes      []string       `json:",omitempty"` // the platform's figures, for the record
	Elapsed    time.Duration
}

// soakPlatform is what each platform gives TestSoak.
var soakPlatform struct {
	// n is how many handoffs, workers how many goroutines do them once
	// the warm-up is done.
	n, workers int
	// warm, if not nil, readies the parent before the soak.
	warm func()
	// handles lists the parent's handles now.
	handles func() []soakHandle
	// watch, if not nil, watches the processes of a started handoff and
	// returns a count of those still running, and a release.
	watch func(h *Handoff) (left func() int)
	// notes, if not nil, gives figures of the parent for the record.
	notes func() string
	// check checks the report: no handle left of those the handoffs make.
	check func(t *testing.T, r soakReport)
}

// helperSoakChild is the whole child side, silently: it exits 0 only once
// its event was set.
func helperSoakChild(args []string) {
	ev, err := OpenEvent(args[0])
	var parent *Lifeline
	if err == nil {
		parent, err = OpenLifeline(args[1])
	}
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), helperWait)
		err = ev.WaitParent(ctx, parent)
		cancel()
		ev.Close()
		parent.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "soak child: %v\n", err)
		os.Exit(1)
	}
}

// helperWait bounds a soak child's wait for its event.
const helperWait = 30 * time.Second

// soakOnce is one whole handoff: create, pass, start, set, wait, close. It
// returns how many of its processes still ran after Wait.
func soakOnce() (left int, err error) {
	ev, err := NewEvent()
	if err != nil {
		return 0, err
	}
	defer ev.Close()
	cmd := exec.Command(os.Args[0], "{event}", "{parent}")
	cmd.Env = helperEnv("soak-child")
	cmd.Stdout = new(bytes.Buffer) // a pipe, and a copy that Wait waits for
	cmd.Stderr = os.Stderr
	h := Command(cmd)
	h.Pass("event", ev)
	if err := h.Start(); err != nil {
		return 0, fmt.Errorf("Start: %w", err)
	}
	count := func() int { return 0 }
	if soakPlatform.watch != nil {
		count = soakPlatform.watch(h)
	}
	if err := ev.Set(); err != nil {
		h.Cmd.Process.Kill()
		h.Wait()
		return count(), fmt.Errorf("Set: %w", err)
	}
	if err := h.Wait(); err != nil {
		return count(), fmt.Errorf("Wait: %w", err)
	}
	return count(), nil
}

// helperSoakParent does $HANDOFF_SOAK handoffs: the warm-up one at a time,
// the rest from soakPlatform.workers goroutines, and reports.
func helperSoakParent([]string) {
	n, _ := strconv.Atoi(os.Getenv("HANDOFF_SOAK"))
	r := soakReport{Handoffs: n}
	var mu sync.Mutex
	one := func(i int) {
		left, err := soakOnce()
		mu.Lock()
		defer mu.Unlock()
		r.Left += left
		if err != nil {
			r.Failures++
			if r.FirstFailure == "" {
				r.FirstFailure = fmt.Sprintf("handoff %d: %v", i, err)
			}
		}
	}
	note := func() {
		if soakPlatform.notes != nil {
			r.Notes = append(r.Notes, soakPlatform.notes())
		}
	}
	if soakPlatform.warm != nil {
		soakPlatform.warm()
	}
	began := time.Now()
	for i := range soakWarmup {
		one(i)
	}
	r.First = soakPlatform.handles()
	note()
	if soakPlatform.workers == 1 {
		for i := soakWarmup; i < n; i++ {
			one(i)
			if (i+1)%100 == 0 {
				r.Trace = append(r.Trace, soakPlatform.handles())
			}
		}
	} else {
		var wg sync.WaitGroup
		next := make(chan int)
		for range soakPlatform.workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					one(i)
				}
			}()
		}
		for i := soakWarmup; i < n; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	r.Elapsed = time.Since(began)
	r.End = soakPlatform.handles()
	note()
	json.NewEncoder(os.Stdout).Encode(r)
}

// TestSoak runs soakPlatform.n whole handoffs from one process (create,
// pass, start, set, wait, close; the child verifies and waits), and checks
// that they all succeed, that no process of theirs runs once its Wait
// returned, and that the process holds at the end the handles it held
// after the first 10, by soakPlatform.check's rule.
func TestSoak(t *testing.T) {
	t.Parallel()
	n := soakPlatform.n
	// A deadline well beyond the time a handoff takes, so that a Wait
	// that never returns fails the test instead of hanging it.
	limit := time.Minute + time.Duration(n)*300*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(testEnv(t)("soak-parent"), "HANDOFF_SOAK="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("soak-parent: %v (deadline %v)", err, limit)
	}
	var r soakReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("soak-parent said %q: %v", out, err)
	}
	t.Logf("FIGURE soak: %d handoffs (%d goroutines) in %v (%v each), %d failures; handles after %d: %d, at the end: %d; %v",
		r.Handoffs, soakPlatform.workers, r.Elapsed.Round(time.Millisecond), r.Elapsed/time.Duration(max(r.Handoffs, 1)), r.Failures, soakWarmup, len(r.First), len(r.End), r.Notes)
	if r.Handoffs != n {
		t.Errorf("soak-parent did %d handoffs, want %d", r.Handoffs, n)
	}
	if r.Failures > 0 {
		t.Errorf("%d of %d handoffs failed; the first: %s", r.Failures, r.Handoffs, r.FirstFailure)
	}
	if r.Left != 0 {
		t.Errorf("%d processes of handoffs still ran after their Wait returned, want 0", r.Left)
	}
	if len(r.First) == 0 {
		t.Fatalf("soak parent listed no handle after %d handoffs", soakWarmup)
	}
	soakPlatform.check(t, r)
}
