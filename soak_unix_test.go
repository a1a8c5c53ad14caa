//go:build unix

package handoff

// The soak, on Linux and the pipe backend: many whole handoffs from this
// process must leave no descriptor behind.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

func init() {
	registerHelper("soak-child", helperSoakChild)
}

// descriptorSet returns this process's open descriptors.
func descriptorSet() map[int]bool {
	m := make(map[int]bool)
	for _, fd := range fuzzPlatform.open() {
		m[int(fd)] = true
	}
	return m
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
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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

// TestSoak runs 1,000 whole handoffs from this process (create, pass, start,
// set, wait, close; the child verifies and waits) and checks that this
// process holds as many descriptors at the end as after the first 10.
func TestSoak(t *testing.T) {
	const n, first, workers = 1000, 10, 4
	env := testEnv(t)
	one := func() error {
		ev, err := NewEvent()
		if err != nil {
			return err
		}
		defer ev.Close()
		cmd := exec.Command(os.Args[0], "{event}", "{parent}")
		cmd.Env = env("soak-child")
		cmd.Stderr = os.Stderr
		h := Command(cmd)
		h.Pass("event", ev)
		if err := h.Start(); err != nil {
			return fmt.Errorf("Start: %w", err)
		}
		if err := ev.Set(); err != nil {
			h.Cmd.Process.Kill()
			h.Wait()
			return fmt.Errorf("Set: %w", err)
		}
		if err := h.Wait(); err != nil {
			return fmt.Errorf("Wait: %w", err)
		}
		return nil
	}
	start := time.Now()
	for i := range first {
		if err := one(); err != nil {
			t.Fatalf("handoff %d: %v", i, err)
		}
	}
	after := descriptorSet()
	var (
		mu       sync.Mutex
		failures int
		wg       sync.WaitGroup
		next     = make(chan int)
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := one(); err != nil {
					mu.Lock()
					failures++
					if failures <= 3 {
						t.Errorf("handoff %d: %v", i, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := first; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	end := descriptorSet()
	t.Logf("soak: %d handoffs (%d goroutines) in %v, %d failures; open descriptors after %d: %d, at the end: %d",
		n, workers, time.Since(start).Round(time.Millisecond), failures, first, len(after), len(end))
	for fd := range end {
		if !after[fd] {
			t.Errorf("descriptor %d (%s) is open at the end, not after the first %d", fd, fuzzPlatform.state(uintptr(fd)), first)
		}
	}
	for fd := range after {
		if !end[fd] {
			t.Errorf("descriptor %d was open after the first %d, not at the end", fd, first)
		}
	}
}
