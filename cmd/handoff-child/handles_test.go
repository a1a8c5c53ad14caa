//go:build linux || windows

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// startChild starts the test binary as handoff-child with args, passing objs
// by name, and returns its handoff and its standard output and error.
func startChild(t *testing.T, objs map[string]handoff.Object, ready bool, args ...string) (*handoff.Handoff, *syncBuffer, *syncBuffer) {
	t.Helper()
	cmd := childCommand(args...)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	h := handoff.Command(cmd)
	for name, obj := range objs {
		h.Pass(name, obj)
	}
	if ready {
		h.ExpectReady()
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	return h, &stdout, &stderr
}

// syncBuffer is a buffer that a test may read while os/exec writes a
// running child's output to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func exitCode(t *testing.T, h *handoff.Handoff) int {
	t.Helper()
	err := h.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return h.Cmd.ProcessState.ExitCode()
}

// TestSemaphoreAsEvent gives the child a semaphore where it expects an
// event: as a bare value, and declared as an event in -handles.
func TestSemaphoreAsEvent(t *testing.T) {
	sem, err := handoff.NewSemaphore(1)
	if err != nil {
		t.Fatal(err)
	}
	defer sem.Close()
	for _, args := range [][]string{{"-event", "{sem}"}, {"{sem}"}, {"-handles", "event=event:{sem}"}} {
		h, stdout, stderr := startChild(t, map[string]handoff.Object{"sem": sem}, false, args...)
		if code := exitCode(t, h); code != handoff.ExitWrongType {
			t.Errorf("handoff-child %q: exit %d, want %d (wrong type)\n%s%s", h.Cmd.Args[1:], code, handoff.ExitWrongType, stdout, stderr)
			continue
		}
		if !strings.Contains(stderr.String(), "wrong type of object") || !strings.Contains(strings.ToLower(stderr.String()), "semaphore") {
			t.Errorf("handoff-child %q: stderr %q, want it to name the semaphore", h.Cmd.Args[1:], stderr)
		}
		if strings.Contains(stdout.String(), "signaled") {
			t.Errorf("handoff-child %q waited on a semaphore:\n%s", h.Cmd.Args[1:], stdout)
		}
	}
}

// TestNoEventListed gives the child a handles argument without an event.
func TestNoEventListed(t *testing.T) {
	sem, err := handoff.NewSemaphore(0)
	if err != nil {
		t.Fatal(err)
	}
	defer sem.Close()
	h, stdout, stderr := startChild(t, map[string]handoff.Object{"sem": sem}, false, "-handles", "{handles}")
	if code := exitCode(t, h); code != handoff.ExitNotInherited || !strings.Contains(stderr.String(), "no handle passed under that name") {
		t.Errorf("exit %d, want %d (not inherited)\n%s%s", code, handoff.ExitNotInherited, stdout, stderr)
	}
}

// TestMessage passes the event, the lifeline, the ready event and a message
// of 0, 5 and 1 MiB bytes, as handoff-parent -message does; the child must
// report ready, and print the message once the event is set.
func TestMessage(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	for _, text := range [][]byte{{}, []byte("hello"), big} {
		t.Run(fmt.Sprint(len(text)), func(t *testing.T) {
			ev, err := handoff.NewEvent()
			if err != nil {
				t.Fatal(err)
			}
			defer ev.Close()
			msg, err := handoff.NewSharedMemory(8 + len(text))
			if err != nil {
				t.Fatal(err)
			}
			defer msg.Close()
			binary.LittleEndian.PutUint64(msg.Bytes(), uint64(len(text)))
			copy(msg.Bytes()[8:], text)

			h, stdout, stderr := startChild(t, map[string]handoff.Object{"event": ev, "message": msg}, true, "-handles", "{handles}")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := h.WaitReady(ctx); err != nil {
				h.Cmd.Process.Kill()
				h.Wait()
				t.Fatalf("WaitReady: %v\n%s%s", err, stdout, stderr)
			}
			if strings.Contains(stdout.String(), "message (") {
				t.Errorf("child printed the message before the event was set:\n%s", stdout)
			}
			if err := ev.Set(); err != nil {
				t.Fatal(err)
			}
			if code := exitCode(t, h); code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			sum := fnv.New64a()
			sum.Write(text)
			want := fmt.Sprintf("[CHILD] message (%d bytes, fnv64a %016x): %s\n", len(text), sum.Sum64(), text)
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("stdout lacks %.100q", want)
			}
			for _, step := range []string{"[CHILD] verified message ", "[CHILD] reported ready to the parent\n", "[CHILD] Event signaled\n"} {
				if !strings.Contains(stdout.String(), step) {
					t.Errorf("stdout lacks %q", step)
				}
			}
		})
	}
}
