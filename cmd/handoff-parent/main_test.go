package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/clitest"
	"github.com/handoff/handoff/internal/exitcode"
	"github.com/handoff/handoff/internal/trace"
)

// The test binary doubles as the child: with helperEnv set, TestHelperProcess
// acts as the mode it names, as os/exec's tests do.
const helperEnv = "HANDOFF_PARENT_TEST_HELPER"

// TestHelperProcess is the child of the tests below, not a test.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	os.Exit(helper(mode, flag.Args()))
}

// helper is a minimal child: it opens the event named by args[0], waits, and
// reports its steps as handoff-child would, plus what mode asks for.
func helper(mode string, args []string) int {
	tracing := os.Getenv(trace.EnvVar) == "1"
	step := func(name string, kv ...any) {
		if t, err := trace.Now(); err == nil && tracing {
			trace.WriteLine(os.Stdout, trace.Event{Mono: t, Step: name, Detail: trace.Fields(kv...)})
		}
	}
	switch mode {
	case "sleep":
		fmt.Println("helper: sleeping")
		time.Sleep(time.Minute)
		return 1
	case "fail":
		fmt.Fprintln(os.Stderr, "helper: failing")
		return 5
	case "spam":
		// Many well-formed steps, and malformed ones: the parent keeps a
		// bounded part of them.
		w := bufio.NewWriter(os.Stdout)
		for i := range spamSteps {
			trace.WriteLine(w, trace.Event{Mono: int64(i + 1), Step: "spam"})
			if i%1000 == 0 {
				fmt.Fprintln(w, trace.Prefix+"{bad")
			}
		}
		w.Flush()
	case "garbage":
		fmt.Println("helper: plain line")
		fmt.Println(trace.Prefix + `{"mono_ns":1,"step":"Bad"}`)
		fmt.Println(trace.Prefix + "\x00\xff{{{")
	}
	if len(args) != 1 {
		fmt.Fprintf(os.Stderr, "helper: args %q, want one value\n", args)
		return 2
	}
	ev, err := handoff.OpenEvent(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return exitcode.Of(err)
	}
	defer ev.Close()
	step("event-verified", "value", handoff.FormatValue(ev.Handle()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ev.Wait(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return exitcode.Of(err)
	}
	step("woke", "result", "signaled")
	if !tracing {
		fmt.Println("helper: Event signaled")
	}
	return 0
}

// runHelper runs handoff-parent in this process with the test binary as the
// child in mode.
func runHelper(t *testing.T, mode string, flags ...string) (stdout, stderr string, err error) {
	t.Helper()
	t.Setenv(helperEnv, mode)
	// A race-enabled child sleeps a second before it exits, by default.
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	args := append(flags, "--", os.Args[0], "-test.run=^TestHelperProcess$", "--", "{event}")
	var out, errOut bytes.Buffer
	err = run(args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// spamSteps is how many trace steps the helper writes in mode spam.
const spamSteps = 20000

// TestRunTraceBounded runs a child that writes spamSteps trace steps, and
// malformed lines among them: with -json the parent keeps at most
// trace.MaxEvents of its steps, and says on standard error and in the
// timeline how many it dropped.
func TestRunTraceBounded(t *testing.T) {
	stdout, stderr, err := runHelper(t, "spam", "-json")
	if err != nil {
		t.Fatalf("run = %v\n%s", err, stderr)
	}
	var kept int // of the child's spamSteps steps, and event-verified and woke after them
	var dropped map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var e trace.JSONLine
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("stdout line %q: %v", line, err)
		}
		switch {
		case e.Who == trace.Child:
			kept++
		case e.Step == "trace-dropped":
			dropped = e.Detail
		}
	}
	const total = spamSteps + 2
	if kept == 0 || kept > trace.MaxEvents {
		t.Errorf("the timeline holds %d of the child's %d steps, want 1 to %d", kept, total, trace.MaxEvents)
	}
	if want := fmt.Sprint(total - kept); fmt.Sprint(dropped["steps"]) != want {
		t.Errorf("trace-dropped step %v, want steps=%s", dropped, want)
	}
	for _, want := range []string{fmt.Sprintf("dropped the %d after them", total-kept), "20 malformed trace line(s)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%.2000s", want, stderr)
		}
	}
}

func TestRunSignaled(t *testing.T) {
	stdout, stderr, err := runHelper(t, "ok")
	if err != nil {
		t.Fatalf("run = %v\n%s%s", err, stdout, stderr)
	}
	for _, want := range []string{
		"[PARENT] created event, handle ",
		"[PARENT] started child pid ",
		"[PARENT] event set; waiting for the child (timeout 30s)\n",
		"helper: Event signaled\n",
		"[PARENT] child exited with code 0\n",
		"[PARENT] closed the event; done\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout:\n%s\nwant %q in it", stdout, want)
		}
	}
}

func TestRunJSON(t *testing.T) {
	stdout, stderr, err := runHelper(t, "garbage", "-json")
	if err != nil {
		t.Fatalf("run = %v\n%s%s", err, stdout, stderr)
	}
	var steps []string
	var started, verified map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var e trace.JSONLine
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("stdout line %q: %v", line, err)
		}
		steps = append(steps, e.Who+"/"+e.Step)
		switch e.Who + "/" + e.Step {
		case "parent/child-started":
			started = e.Detail
		case "child/event-verified":
			verified = e.Detail
		}
	}
	want := []string{"parent/start", "parent/event-created", "parent/child-started", "parent/event-set",
		"child/event-verified", "child/woke", "parent/child-exited", "parent/cleanup-done"}
	// The child may verify the event before the parent has set it.
	alt := slices.Clone(want)
	alt[3], alt[4] = alt[4], alt[3]
	if !slices.Equal(steps, want) && !slices.Equal(steps, alt) {
		t.Errorf("steps %q, want %q", steps, want)
	}
	if started["event"] == nil || started["event"] != verified["value"] {
		t.Errorf("parent passed event %v, child verified %v", started["event"], verified["value"])
	}
	// The child's other lines, good or bad, go to stderr.
	for _, want := range []string{"helper: plain line\n", `"step":"Bad"`, "2 malformed trace line(s)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr:\n%s\nwant %q in it", stderr, want)
		}
	}
}

// The child must have printed before the timeout: 1 s leaves a race-enabled
// test binary, started on a busy machine, time for that.
func TestRunTimeout(t *testing.T) {
	start := time.Now()
	stdout, _, err := runHelper(t, "sleep", "-timeout", "1s")
	if exitcode.Of(err) != handoff.ExitTimeout || !strings.Contains(err.Error(), "did not exit within 1s") {
		t.Fatalf("run = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	if !strings.Contains(stdout, "helper: sleeping") || !strings.Contains(stdout, "[PARENT] timeout: ") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestRunTimeoutTrace(t *testing.T) {
	stdout, _, err := runHelper(t, "sleep", "-timeout", "1s", "-trace")
	if exitcode.Of(err) != handoff.ExitTimeout {
		t.Fatalf("run = %v, want a timeout", err)
	}
	if !strings.Contains(stdout, "parent  timeout") || !strings.Contains(stdout, "after=1s") {
		t.Errorf("timeline lacks the timeout:\n%s", stdout)
	}
}

func TestRunChildFailed(t *testing.T) {
	stdout, stderr, err := runHelper(t, "fail")
	if exitcode.Of(err) != handoff.ExitChildFailed || err.Error() != "child failed: exit code 5" {
		t.Fatalf("run = %v, want child failed: exit code 5", err)
	}
	if !strings.Contains(stdout, "[PARENT] child exited with code 5\n") || !strings.Contains(stderr, "helper: failing") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}

func TestRunNoChild(t *testing.T) {
	// Not t.TempDir: Wine 8 fails to remove it ("unlinkat: Invalid function").
	missing := filepath.Join(os.TempDir(), fmt.Sprintf("handoff-no-such-child-%d", os.Getpid()))
	err := run([]string{"--", missing, "{event}"}, new(bytes.Buffer), new(bytes.Buffer))
	if exitcode.Of(err) != handoff.ExitFailure || !strings.Contains(err.Error(), "start child") {
		t.Errorf("run = %v, want start child: ... (exit 1)", err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		args []string
		want config
	}{
		{nil, config{timeout: 30 * time.Second, readyTimeout: 10 * time.Second, children: 1}},
		{[]string{"-timeout", "0", "-trace", "-ready-timeout", "0"}, config{trace: true, children: 1}},
		{[]string{"-json", "--", "child", "{event}", "x{parent}"}, config{timeout: 30 * time.Second, readyTimeout: 10 * time.Second, children: 1, json: true, command: []string{"child", "{event}", "x{parent}"}}},
		{[]string{"--", "child", "-trace", "--", "{event}"}, config{timeout: 30 * time.Second, readyTimeout: 10 * time.Second, children: 1, command: []string{"child", "-trace", "--", "{event}"}}},
		{[]string{"-children", "16", "-message", "", "--", "child", "{handles}"}, config{timeout: 30 * time.Second, readyTimeout: 10 * time.Second, children: 16, message: []byte{}, command: []string{"child", "{handles}"}}},
		{[]string{"-message", "hi"}, config{timeout: 30 * time.Second, readyTimeout: 10 * time.Second, children: 1, message: []byte("hi")}},
	}
	for _, tt := range tests {
		got, err := parse(tt.args, new(bytes.Buffer))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parse(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"child"}, "a child command goes after --"},
		{[]string{"--"}, "no child command after --"},
		{[]string{"--", "child"}, "names {event}"},
		{[]string{"--", "child", "{parent}"}, "names {event}"},
		{[]string{"-message", "x", "--", "child", "{event}"}, "names {message} or {handles}"},
		{[]string{"-message", "x", "-message-file", "f"}, "exclude each other"},
		{[]string{"-children", "0"}, "-children 0 out of range"},
		{[]string{"-children", "1025"}, "-children 1025 out of range"},
		{[]string{"-ready-timeout", "-1s"}, "negative -ready-timeout"},
		{[]string{"-trace", "-json"}, "exclude each other"},
		{[]string{"-timeout", "-1s"}, "negative -timeout"},
		{[]string{"-timeout"}, "flag needs an argument"},
		{[]string{"-x"}, "flag provided but not defined: -x"},
	}
	for _, tt := range tests {
		clitest.Misuse(t, run, synopsis, tt.args, tt.want)
	}
}

func TestHelp(t *testing.T) {
	clitest.Help(t, run, synopsis, "-timeout D", "-trace", "-json", "handoff-child -handles {handles}", "-children N", "-message TEXT", "Exit codes:", exitcode.Table(true),
		"every child's steps", "docs/trace.md")
	// -children N: more than two processes.
	var stdout bytes.Buffer
	run([]string{"-h"}, &stdout, io.Discard)
	if strings.Contains(stdout.String(), "both processes") {
		t.Errorf("-h says \"both processes\":\n%s", stdout.String())
	}
}

func TestCommandLine(t *testing.T) {
	got := commandLine([]string{filepath.Join("dir", "child"), "-event", "12", "a b", ""})
	if want := `child -event 12 "a b" ""`; got != want {
		t.Errorf("commandLine = %s, want %s", got, want)
	}
}

// stuckWriter is a standard output whose reader never reads.
type stuckWriter struct{ never chan struct{} }

func (w stuckWriter) Write(p []byte) (int, error) {
	<-w.never
	return 0, nil
}

// failingWriter is a standard output that fails, as a full disk does.
type failingWriter struct{}

func (failingWriter) Write(p []byte) (int, error) { return 0, errors.New("no space left") }

// TestRunStdout runs handoff-parent with a standard output that never takes
// a byte, and with one that fails: the run must end by itself, the child's
// output must not hold it up, and the error is the parent's, once, exit 1.
func TestRunStdout(t *testing.T) {
	t.Setenv(helperEnv, "ok")
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	args := []string{"--", os.Args[0], "-test.run=^TestHelperProcess$", "--", "{event}"}
	for _, tt := range []struct {
		name   string
		stdout io.Writer
		want   string
	}{
		{"stuck", stuckWriter{make(chan struct{})}, "standard output: not read: a write did not return within 10s"},
		{"failing", failingWriter{}, "standard output: no space left"},
	} {
		var stderr bytes.Buffer
		err := run(args, tt.stdout, &stderr)
		if exitcode.Of(err) != handoff.ExitFailure || err.Error() != tt.want && !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: run = %v (exit %d), want %s... (exit 1)", tt.name, err, exitcode.Of(err), tt.want)
		}
		if stderr.Len() > 0 {
			t.Errorf("%s: stderr %q, want nothing: the error is run's to report", tt.name, stderr.String())
		}
	}
}
