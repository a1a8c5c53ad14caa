package handoff

// Start as a user's program calls it, on every backend: it writes into no
// slice of the caller's, leaves the Cmd as it was when it fails, refuses
// zero objects, and lets Wait and WaitReady run together.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

func init() {
	registerHelper("start-report", helperStartReport)
}

// startReport is what a "start-report" child got: its arguments and the
// variable HANDOFF_TEMPLATE.
type startReport struct {
	Args     []string
	Template string
	ReadyErr string `json:",omitempty"`
}

// helperStartReport (args {handles}, ...) reports its arguments and
// HANDOFF_TEMPLATE, and signals the ready object if it got one.
func helperStartReport(args []string) {
	r := startReport{Args: args, Template: os.Getenv("HANDOFF_TEMPLATE")}
	if hs, err := ParseHandles(args[0]); err == nil && hs.Has(ReadyName) {
		if err := hs.Ready(); err != nil {
			r.ReadyErr = err.Error()
		}
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

// runReport starts h, whose command runs "start-report", and returns what
// the child reported.
func runReport(t *testing.T, h *Handoff) startReport {
	t.Helper()
	out, err := h.Cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	var r startReport
	s := bufio.NewScanner(out)
	if !s.Scan() || json.Unmarshal(s.Bytes(), &r) != nil {
		t.Errorf("child reported %q, %v", s.Text(), s.Err())
	}
	if err := h.Wait(); err != nil {
		t.Errorf("Wait() = %v", err)
	}
	return r
}

// TestStartSharedEnv: two commands built from one environment slice, a
// template holding placeholders, both start, each child gets its own
// values, and the template is as it was.
func TestStartSharedEnv(t *testing.T) {
	env := append(helperEnv("start-report"), "HANDOFF_TEMPLATE=event {event}")
	env = slices.Clip(env)
	want := slices.Clone(env)
	args := []string{"{handles}", "{event}"}
	for i := range 2 {
		ev := testEvent(t)
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = env
		h := Command(cmd)
		h.Pass("event", ev)
		r := runReport(t, h)
		v, _ := h.Value("event")
		if r.Template != "event "+FormatValue(v) || len(r.Args) != 2 || r.Args[1] != FormatValue(v) {
			t.Errorf("child %d got %q and HANDOFF_TEMPLATE=%q, want the value %d in both", i, r.Args, r.Template, v)
		}
		if !slices.Equal(env, want) {
			t.Fatalf("after Start %d the caller's environment ends %q, want it unchanged", i, env[len(env)-1])
		}
		if cmd.Args[0] != os.Args[0] || slices.Equal(cmd.Args[1:], args) || !slices.Equal(args, []string{"{handles}", "{event}"}) {
			t.Errorf("Start %d: Cmd.Args %q, the caller's %q: want the filled ones in Cmd and the caller's unchanged", i, cmd.Args, args)
		}
	}
}

// TestStartZeroValues: a zero Event, Semaphore or SharedMemory names no
// handle: Start refuses it, naming it, and Close does nothing (it closes no
// standard handle); a zero Lifeline's Close does nothing either.
func TestStartZeroValues(t *testing.T) {
	for _, tt := range []struct {
		kind string
		obj  Object
	}{
		{"event", &Event{}},
		{"semaphore", &Semaphore{}},
		{"shm", &SharedMemory{}},
	} {
		cmd := exec.Command(os.Args[0], "{x}")
		cmd.Env = helperEnv("start-report")
		h := Command(cmd)
		h.Pass("x", tt.obj)
		err := h.Start()
		if err == nil {
			h.Wait()
			t.Errorf("Start with a zero %s passed = nil, want an error", tt.kind)
		} else if want := `handoff: ` + tt.kind + ` "x": the zero value names no handle`; err.Error() != want {
			t.Errorf("Start with a zero %s passed = %q, want %q", tt.kind, err, want)
		}
		if cmd.Process != nil {
			t.Errorf("Start with a zero %s passed started the child", tt.kind)
		}
	}
	var (
		e Event
		s Semaphore
		m SharedMemory
		l Lifeline
	)
	for name, c := range map[string]func() error{"Event": e.Close, "Semaphore": s.Close, "SharedMemory": m.Close, "Lifeline": l.Close} {
		if err := c(); err != nil {
			t.Errorf("zero %s: Close() = %v, want nil", name, err)
		}
	}
	if err := e.Set(); !errors.Is(err, errZeroValue) {
		t.Errorf("zero Event: Set() = %v, want %v", err, errZeroValue)
	}
	if _, err := os.Stdin.Stat(); err != nil {
		t.Errorf("standard input after the zero values' Close: %v", err)
	}
}

// TestStartFailed: a Start that fails leaves the Cmd as the caller gave it
// (Args, Env, ExtraFiles, SysProcAttr), a Wait after it fails without
// waiting, and a retry, once the cause is fixed, starts the child.
func TestStartFailed(t *testing.T) {
	ev := testEvent(t)
	cmd := exec.Command(os.Args[0]+"-no-such-program", "{handles}")
	cmd.Env = helperEnv("start-report")
	cmd.Path = os.Args[0] + "-no-such-program"
	h := Command(cmd)
	h.Pass("event", ev)
	h.ExpectReady()
	before := *cmd
	if err := h.Start(); err == nil {
		t.Fatal("Start of a missing program = nil, want an error")
	}
	after := *cmd
	if !reflect.DeepEqual(after.Args, before.Args) || !reflect.DeepEqual(after.Env, before.Env) ||
		!reflect.DeepEqual(after.ExtraFiles, before.ExtraFiles) || after.SysProcAttr != before.SysProcAttr {
		t.Errorf("after a failed Start, Cmd has Args %q ExtraFiles %v SysProcAttr %p; want %q %v %p", after.Args, after.ExtraFiles, after.SysProcAttr, before.Args, before.ExtraFiles, before.SysProcAttr)
	}
	if err := h.Wait(); err == nil || !strings.Contains(err.Error(), "before a successful Start") {
		t.Errorf("Wait() after a failed Start = %v, want an error saying it was not started", err)
	}
	h.Cmd = exec.Command(os.Args[0], cmd.Args[1:]...)
	h.Cmd.Env = cmd.Env
	r := runReport(t, h)
	if r.ReadyErr != "" {
		t.Errorf("retried child: ready: %s", r.ReadyErr)
	}
}

// TestWaitAndWaitReady: a supervisor waits for readiness in one goroutine
// and for the exit in another; run under -race, the two do not race, and
// WaitReady ends, ready or not.
func TestWaitAndWaitReady(t *testing.T) {
	for i := range 5 {
		cmd := exec.Command(os.Args[0], "{handles}")
		cmd.Env = helperEnv("start-report")
		h := Command(cmd)
		h.Pass("event", testEvent(t))
		h.ExpectReady()
		if err := h.Start(); err != nil {
			t.Fatalf("Start() = %v", err)
		}
		var wg sync.WaitGroup
		var readyErr, waitErr error
		wg.Go(func() { readyErr = h.WaitReady(context.Background()) })
		wg.Go(func() { waitErr = h.Wait() })
		wg.Wait()
		if waitErr != nil {
			t.Errorf("run %d: Wait() = %v", i, waitErr)
		}
		// The child signals ready, then exits: WaitReady sees one or the
		// other first, or starts after Wait has ended.
		if readyErr != nil && !errors.Is(readyErr, ErrNotReady) && !strings.Contains(readyErr.Error(), "after Wait") {
			t.Errorf("run %d: WaitReady() = %v, want nil, ErrNotReady or after Wait", i, readyErr)
		}
	}
}
