package handoff

// Events in one process, on every backend: set, reset and wait, and the errors
// of Start.

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// TestEventSemantics checks manual-reset behaviour: a set event wakes every
// waiter and stays set until Reset.
func TestEventSemantics(t *testing.T) {
	ev, err := NewEvent()
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()

	short := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		return ev.Wait(ctx)
	}
	if err := short(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait on an unset event = %v, want %v", err, context.DeadlineExceeded)
	}

	const waiters = 4
	var wg sync.WaitGroup
	errs := make(chan error, waiters)
	for range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			errs <- ev.Wait(ctx)
		}()
	}
	time.Sleep(10 * time.Millisecond) // let some of them block first
	if err := ev.Set(); err != nil {
		t.Fatalf("Set: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("waiter woke with %v, want nil", err)
		}
	}
	// Still set: a new Wait returns at once, even without a deadline.
	if err := ev.Wait(context.Background()); err != nil {
		t.Errorf("Wait on a set event = %v, want nil", err)
	}
	if err := ev.Set(); err != nil {
		t.Errorf("second Set: %v", err)
	}
	if err := ev.Reset(); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if err := short(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait after Reset = %v, want %v", err, context.DeadlineExceeded)
	}
	if err := ev.Reset(); err != nil {
		t.Errorf("Reset of an unset event: %v", err)
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("stop")
	time.AfterFunc(10*time.Millisecond, func() { cancel(cause) })
	if err := ev.Wait(ctx); err != cause {
		t.Errorf("Wait cancelled with a cause = %v, want %v", err, cause)
	}

	if err := ev.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := ev.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close = %v, want %v", err, os.ErrClosed)
	}
}

// TestStartErrors checks that Start refuses what the child could not use,
// before starting anything.
func TestStartErrors(t *testing.T) {
	ev, err := NewEvent()
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	tests := []struct {
		name string
		args []string
		pass []string
	}{
		{"unreferenced", []string{"-x"}, []string{"event"}},
		{"empty name", []string{"{}"}, []string{""}},
		{"upper case", []string{"{Event}"}, []string{"Event"}},
		{"brace", []string{"{a}b}"}, []string{"a}b"}},
		{"reserved", []string{"{parent}"}, []string{LifelineName}},
		{"twice", []string{"{event}"}, []string{"event", "event"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], tt.args...)
			h := Command(cmd)
			for _, name := range tt.pass {
				h.Pass(name, ev)
			}
			if err := h.Start(); err == nil {
				h.Wait()
				t.Fatalf("Start with %q passed as %q = nil, want an error", tt.args, tt.pass)
			}
			if cmd.Process != nil {
				t.Errorf("Start failed but started process %d", cmd.Process.Pid)
			}
			if err := h.Start(); err == nil {
				t.Errorf("second Start = nil, want an error")
			}
		})
	}
}
