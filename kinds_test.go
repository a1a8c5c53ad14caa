//go:build linux || windows

package handoff

// Every kind of object, on every backend: events, semaphores, shared memory,
// the handles argument, and the ready gate.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

func init() {
	registerHelper("kinds-child", helperKindsChild)
	registerHelper("gate-child", helperGateChild)
	registerHelper("no-ready", func([]string) { time.Sleep(time.Minute) })
	registerHelper("exit-at-once", func([]string) {})
}

// kindsReport is what a "kinds-child" saw, sent back through the file it was
// passed.
type kindsReport struct {
	// Same and Decoy tell, per name, whether the object the child opened
	// is the parent's object of that name, and whether it is the parent's
	// decoy of the same kind (it must not be).
	Same  map[string]bool   `json:"same"`
	Decoy map[string]bool   `json:"decoy"`
	Errs  map[string]string `json:"errs"` // what each wrong request returned
	Msg   string            `json:"msg"`  // read in the shared memory once woken
	// Fourth is what a fourth Acquire returned after three succeeded,
	// with three released.
	Fourth string `json:"fourth"`
	Fatal  string `json:"fatal,omitempty"`
}

// helperKindsChild gets the handles argument and, as KEY=VALUE arguments, the
// parent's values of its objects and decoys. It tries wrong requests, opens
// every object, proves each is the parent's, signals ready, waits for the
// event, then uses the semaphore and the shared memory, and writes its
// report to the file it was passed.
func helperKindsChild(args []string) {
	parentValues := map[string]uintptr{}
	for _, a := range args[1:] {
		k, v, _ := bytes.Cut([]byte(a), []byte("="))
		n, _ := strconv.ParseUint(string(v), 10, 64)
		parentValues[string(k)] = uintptr(n)
	}
	r := kindsReport{Same: map[string]bool{}, Decoy: map[string]bool{}, Errs: map[string]string{}}
	hs, err := ParseHandles(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	value := func(name string) string { v, _ := hs.Value(name); return v }

	// Wrong requests first, while every handle is still inheritable: the
	// kernel's answer, then the handles argument's.
	_, err = OpenEvent(value("sem"))
	r.Errs["OpenEvent(sem)"] = sentinel(err)
	_, err = OpenSemaphore(value("go"))
	r.Errs["OpenSemaphore(go)"] = sentinel(err)
	_, err = OpenSharedMemory(value("out"))
	r.Errs["OpenSharedMemory(out)"] = sentinel(err)
	if !pipeBackend { // there OpenFile would accept, and take, the event
		_, err = OpenFile(value("go"))
		r.Errs["OpenFile(go)"] = sentinel(err)
	}
	_, err = OpenEvent(value("msg"))
	r.Errs["OpenEvent(msg)"] = sentinel(err)
	_, err = OpenSemaphore(value("ready"))
	r.Errs["OpenSemaphore(ready)"] = sentinel(err)
	_, err = hs.Event("sem")
	r.Errs["Event(sem)"] = sentinel(err)
	_, err = hs.Event("nope")
	r.Errs["Event(nope)"] = sentinel(err)

	out, err := hs.File("out")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer out.Close()
	fatal := func(err error) {
		r.Fatal = err.Error()
		json.NewEncoder(out).Encode(r)
		os.Exit(1)
	}
	ev, err := hs.Event("go")
	if err != nil {
		fatal(err)
	}
	sem, err := hs.Semaphore("sem")
	if err != nil {
		fatal(err)
	}
	mem, err := hs.SharedMemory("msg")
	if err != nil {
		fatal(err)
	}
	life, err := hs.Lifeline()
	if err != nil {
		fatal(err)
	}
	for name, h := range map[string]uintptr{"go": ev.Handle(), "sem": sem.Handle(), "msg": mem.Handle(), "out": out.Fd()} {
		if r.Same[name], err = sameObject(parentValues[name], h); err != nil {
			fatal(err)
		}
		if d, ok := parentValues[name+"-decoy"]; ok {
			if r.Decoy[name], err = sameObject(d, h); err != nil {
				fatal(err)
			}
		}
	}
	_, err = hs.Event("go")
	r.Errs["Event(go) again"] = sentinel(err)
	if err := hs.Ready(); err != nil {
		fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ev.WaitParent(ctx, life); err != nil {
		fatal(err)
	}
	r.Msg = string(bytes.TrimRight(mem.Bytes(), "\x00"))
	for range 3 {
		if err := sem.Acquire(ctx); err != nil {
			fatal(err)
		}
	}
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	r.Fourth = sentinel(sem.Acquire(short))
	cancelShort()
	copy(mem.Bytes(), "child was here")
	if err := sem.Release(2); err != nil {
		fatal(err)
	}
	if err := json.NewEncoder(out).Encode(r); err != nil {
		os.Exit(1)
	}
}

// TestKinds passes one object of each kind, plus decoys that are not
// passed, to a child that proves it holds the parent's objects and uses
// each as its kind.
func TestKinds(t *testing.T) {
	ev := testEvent(t)
	evDecoy := testEvent(t)
	sem, err := NewSemaphore(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sem.Close() })
	semDecoy, err := NewSemaphore(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { semDecoy.Close() })
	mem, err := NewSharedMemory(4096)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	if len(mem.Bytes()) != 4096 {
		t.Fatalf("len(NewSharedMemory(4096).Bytes()) = %d", len(mem.Bytes()))
	}
	memDecoy, err := NewSharedMemory(4096)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { memDecoy.Close() })
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	decoyR, decoyW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { decoyR.Close(); decoyW.Close() })

	cmd := exec.Command(os.Args[0], "{handles}",
		fmt.Sprintf("go=%d", ev.Handle()), fmt.Sprintf("go-decoy=%d", evDecoy.Handle()),
		fmt.Sprintf("sem=%d", sem.Handle()), fmt.Sprintf("sem-decoy=%d", semDecoy.Handle()),
		fmt.Sprintf("msg=%d", mem.Handle()), fmt.Sprintf("msg-decoy=%d", memDecoy.Handle()),
		fmt.Sprintf("out=%d", pw.Fd()), fmt.Sprintf("out-decoy=%d", decoyW.Fd()))
	cmd.Env = helperEnv("kinds-child")
	cmd.Stderr = os.Stderr
	h := Command(cmd)
	h.Pass("go", ev)
	h.Pass("sem", sem)
	h.Pass("msg", mem)
	h.Pass("out", File(pw))
	h.ExpectReady()
	if err := h.Start(); err != nil {
		pw.Close()
		t.Fatal(err)
	}
	t.Logf("handles argument: %s", h.Handles())
	hs := h.Handles()
	if got, want := hs.String(), cmd.Args[1]; got != want {
		t.Errorf("Handles().String() = %q, want the child's argument %q", got, want)
	}
	for _, name := range []string{"go", "sem", "msg", "out", ReadyName, LifelineName} {
		v, ok := h.Value(name)
		if got, _ := hs.Value(name); !ok || got != FormatValue(v) {
			t.Errorf("Handles().Value(%q) = %q, want %s (ok %v)", name, got, FormatValue(v), ok)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = h.WaitReady(ctx)
	// The child has compared its objects with the parent's: the parent's
	// write end can go, so that only the child's is left.
	pw.Close()
	if err != nil {
		h.Cmd.Process.Kill()
		h.Wait()
		t.Fatalf("WaitReady: %v", err)
	}
	copy(mem.Bytes(), "hello from the parent")
	if err := sem.Release(3); err != nil {
		t.Fatal(err)
	}
	if err := ev.Set(); err != nil {
		t.Fatal(err)
	}
	var r kindsReport
	if err := json.NewDecoder(bufio.NewReader(pr)).Decode(&r); err != nil {
		t.Errorf("reading the report through the passed pipe: %v", err)
	}
	for range 2 {
		if err := sem.Acquire(ctx); err != nil {
			t.Errorf("parent: Acquire of what the child released: %v", err)
		}
	}
	if err := h.Wait(); err != nil {
		t.Errorf("child: %v", err)
	}
	if r.Fatal != "" {
		t.Fatalf("child: %s", r.Fatal)
	}
	for _, name := range []string{"go", "sem", "msg", "out"} {
		if !r.Same[name] {
			t.Errorf("child's %q is not the parent's object", name)
		}
	}
	for _, name := range []string{"go", "sem", "msg", "out"} {
		if d, ok := r.Decoy[name]; !ok || d {
			t.Errorf("child's %q is the parent's decoy, or was not compared (%v, %v)", name, d, ok)
		}
	}
	wrong := ErrWrongType.Error()
	want := map[string]string{
		"OpenEvent(sem)":        wrong,
		"OpenSemaphore(go)":     wrong,
		"OpenSharedMemory(out)": wrong,
		"OpenFile(go)":          wrong,
		"OpenEvent(msg)":        wrong,
		"OpenSemaphore(ready)":  wrong,
		"Event(sem)":            wrong,
		"Event(nope)":           ErrNotPassed.Error(),
		"Event(go) again":       ErrNotInherited.Error(),
	}
	if pipeBackend {
		delete(want, "OpenFile(go)")
	}
	for k, w := range want {
		if got := r.Errs[k]; got != w {
			t.Errorf("child: %s: %s, want %s", k, got, w)
		}
	}
	if r.Msg != "hello from the parent" {
		t.Errorf("child read %q in the shared memory, want %q", r.Msg, "hello from the parent")
	}
	if r.Fourth != context.DeadlineExceeded.Error() {
		t.Errorf("child: fourth Acquire after three releases: %s, want %s", r.Fourth, context.DeadlineExceeded)
	}
	if got := string(mem.Bytes()[:14]); got != "child was here" {
		t.Errorf("parent read %q in the shared memory, want %q", got, "child was here")
	}
	ctxShort, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	if err := sem.Acquire(ctxShort); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("parent: third Acquire after the child released 2 = %v, want %v", err, context.DeadlineExceeded)
	}
}

// TestSemaphore checks the count locally: what is released is acquired,
// once.
func TestSemaphore(t *testing.T) {
	if _, err := NewSemaphore(-1); err == nil {
		t.Errorf("NewSemaphore(-1) = nil error")
	}
	sem, err := NewSemaphore(2)
	if err != nil {
		t.Fatal(err)
	}
	defer sem.Close()
	ctx := context.Background()
	for i := range 2 {
		if err := sem.Acquire(ctx); err != nil {
			t.Fatalf("Acquire %d: %v", i, err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := sem.Acquire(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire at 0 = %v, want %v", err, context.DeadlineExceeded)
	}
	if err := sem.Release(0); err == nil {
		t.Errorf("Release(0) = nil error")
	}
	// An Acquire waiting when Release comes wakes.
	done := make(chan error, 1)
	go func() { done <- sem.Acquire(ctx) }()
	time.Sleep(10 * time.Millisecond)
	if err := sem.Release(1); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("waiting Acquire = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiting Acquire did not wake on Release")
	}
	if err := sem.Release(MaxSemaphore + 1); err == nil {
		t.Errorf("Release(MaxSemaphore+1) = nil error")
	}
	// What a release past the count's bound does is each platform's:
	// releasePastMax checks what Release's comment says of it.
	releasePastMax(t, sem)
}

func TestSharedMemory(t *testing.T) {
	for _, size := range []int{0, -1} {
		if _, err := NewSharedMemory(size); err == nil {
			t.Errorf("NewSharedMemory(%d) = nil error", size)
		}
	}
	for _, size := range []int{1, 4097, 1 << 20} {
		m, err := NewSharedMemory(size)
		if err != nil {
			t.Fatalf("NewSharedMemory(%d): %v", size, err)
		}
		if got := len(m.Bytes()); got != size {
			t.Errorf("NewSharedMemory(%d): len(Bytes()) = %d", size, got)
		}
		m.Bytes()[size-1] = 1
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

func TestParseHandles(t *testing.T) {
	good := []string{
		"go=event:4",
		"go=event:4,sem=semaphore:8,msg=shm:12,out=file:16,parent=lifeline:20,ready=ready:24",
		"a-b_c9=file:0x10",
	}
	for _, s := range good {
		hs, err := ParseHandles(s)
		if err != nil {
			t.Errorf("ParseHandles(%q) = %v", s, err)
			continue
		}
		if got := hs.String(); got != s {
			t.Errorf("ParseHandles(%q).String() = %q", s, got)
		}
	}
	bad := []string{
		"", ",", "go=event:3,", ",go=event:3", "go", "go=event", "go=event:", "=event:3",
		"Go=event:3", "go=Event:3", "go=mutex:3", "go=event:03", "go=event:-3", "go=event:0",
		"go=event:4,go=semaphore:8", "go=event:4,sem=semaphore:4", "go=event:3 ", " go=event:3",
		"go=event:3;sem=semaphore:4", "go=event:4294967296", "go=event=3",
	}
	for _, s := range bad {
		if _, err := ParseHandles(s); !errors.Is(err, ErrBadValue) {
			t.Errorf("ParseHandles(%q) = %v, want %v", s, err, ErrBadValue)
		}
	}
}

// helperGateChild is one of many children behind one event: it opens the
// event, signals ready, waits, and prints when it woke on the shared
// clock.
func helperGateChild(args []string) {
	hs, err := ParseHandles(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ev, err := hs.Event("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	life, err := hs.Lifeline()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := hs.Ready(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ev.WaitParent(ctx, life); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("woke")
}

// TestStartGate starts N children behind one event, waits until all are
// ready, sets the event once, and checks that every child woke from it and
// that none is left running.
func TestStartGate(t *testing.T) {
	for _, n := range []int{1, 8, 64} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			ev := testEvent(t)
			hs := make([]*Handoff, n)
			outs := make([]*bytes.Buffer, n)
			defer func() {
				for _, h := range hs {
					if h != nil && h.Cmd.ProcessState == nil && h.Cmd.Process != nil {
						h.Cmd.Process.Kill()
						h.Wait()
					}
				}
			}()
			for i := range hs {
				cmd := exec.Command(os.Args[0], "{handles}")
				cmd.Env = helperEnv("gate-child")
				outs[i] = new(bytes.Buffer)
				cmd.Stdout = outs[i]
				cmd.Stderr = os.Stderr
				hs[i] = Command(cmd)
				hs[i].Pass("go", ev)
				hs[i].ExpectReady()
				if err := hs[i].Start(); err != nil {
					t.Fatalf("child %d: Start: %v", i, err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for i, h := range hs {
				if err := h.WaitReady(ctx); err != nil {
					t.Fatalf("child %d: WaitReady: %v", i, err)
				}
			}
			if err := ev.Set(); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i, h := range hs {
				wg.Go(func() { errs[i] = h.Wait() })
			}
			wg.Wait()
			for i := range hs {
				if errs[i] != nil {
					t.Errorf("child %d: %v", i, errs[i])
				}
				if got := outs[i].String(); got != "woke\n" {
					t.Errorf("child %d printed %q, want %q", i, got, "woke\n")
				}
				if !hs[i].Cmd.ProcessState.Exited() {
					t.Errorf("child %d did not exit: %v", i, hs[i].Cmd.ProcessState)
				}
			}
		})
	}
}

// TestWaitReadyExit: a child that exits without signaling ready makes
// WaitReady fail with ErrNotReady; one that never signals makes it fail at
// the deadline.
func TestWaitReadyExit(t *testing.T) {
	start := func(helper string) *Handoff {
		cmd := exec.Command(os.Args[0], "{ready}")
		cmd.Env = helperEnv(helper)
		h := Command(cmd)
		h.ExpectReady()
		if err := h.Start(); err != nil {
			t.Fatal(err)
		}
		return h
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := start("exit-at-once")
	if err := h.WaitReady(ctx); !errors.Is(err, ErrNotReady) {
		t.Errorf("WaitReady of a child that exits = %v, want %v", err, ErrNotReady)
	}
	h.Wait()

	h = start("no-ready")
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	if err := h.WaitReady(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitReady of a child that never signals = %v, want %v", err, context.DeadlineExceeded)
	}
	h.Cmd.Process.Kill()
	if err := h.Wait(); err == nil {
		t.Errorf("Wait of a killed child = nil")
	}
	if h.Cmd.ProcessState == nil || h.Cmd.ProcessState.Success() {
		t.Errorf("killed child's state: %v", h.Cmd.ProcessState)
	}
}

// FuzzParseHandles checks that no handles argument makes ParseHandles panic,
// and that what it accepts is exactly what the grammar of Handles allows:
// the accepted list prints back as the input, every name is valid and
// listed once, every kind is known, and every value is one ParseValue takes,
// listed once.
func FuzzParseHandles(f *testing.F) {
	for _, s := range []string{
		"event=event:4", "go=event:4,sem=semaphore:8,msg=shm:12,out=file:16,parent=lifeline:20,ready=ready:24",
		"a=file:0x10", "", ",", "a=event:4,", "a=event:4,a=event:8", "a=event:4,b=event:4", "a=event:0",
		"a=mutex:4", "A=event:4", "a=event:04", "a=event:4294967296", "a=event:4=5", "a:event=4",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hs, err := ParseHandles(s)
		if err != nil {
			if !errors.Is(err, ErrBadValue) {
				t.Fatalf("ParseHandles(%q) = %v, not wrapping ErrBadValue", s, err)
			}
			return
		}
		if got := hs.String(); got != s {
			t.Fatalf("ParseHandles(%q).String() = %q", s, got)
		}
		names := map[string]bool{}
		values := map[uintptr]bool{}
		for _, name := range hs.Names() {
			k, _ := hs.Kind(name)
			if !validName(name) || names[name] {
				t.Fatalf("ParseHandles(%q) accepted name %q (repeated: %v)", s, name, names[name])
			}
			names[name] = true
			if _, ok := parseKind(k); !ok {
				t.Fatalf("ParseHandles(%q) accepted kind %q", s, k)
			}
			v, _ := hs.Value(name)
			n, err := ParseValue(v)
			if err != nil || values[n] {
				t.Fatalf("ParseHandles(%q) accepted value %q of %q: %v (repeated: %v)", s, v, name, err, values[n])
			}
			values[n] = true
		}
		if len(names) == 0 {
			t.Fatalf("ParseHandles(%q) accepted an empty list", s)
		}
	})
}
