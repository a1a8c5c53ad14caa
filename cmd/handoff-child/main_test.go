package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/internal/exitcode"
	"github.com/handoff/handoff/internal/trace"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args []string
		want config
	}{
		{[]string{"12"}, config{event: "12", timeout: 30 * time.Second}},
		{[]string{"-event", "12"}, config{event: "12", timeout: 30 * time.Second}},
		{[]string{"-event", "12", "-parent", "16", "-timeout", "0"}, config{event: "12", parent: "16", hasParent: true}},
		{[]string{"12", "-parent", "16"}, config{event: "12", parent: "16", hasParent: true, timeout: 30 * time.Second}},
		{[]string{"-parent", "16", "12", "-timeout", "1s"}, config{event: "12", parent: "16", hasParent: true, timeout: time.Second}},
		{[]string{"-parent", "", "12"}, config{event: "12", hasParent: true, timeout: 30 * time.Second}},
		{[]string{"--", "-1"}, config{event: "-1", timeout: 30 * time.Second}},
		{[]string{"-event", " 42"}, config{event: " 42", timeout: 30 * time.Second}},
	}
	for _, tt := range tests {
		got, err := parse(tt.args, new(bytes.Buffer))
		if err != nil || got != tt.want {
			t.Errorf("parse(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "no VALUE"},
		{[]string{"-parent", "16"}, "no VALUE"},
		{[]string{"12", "16"}, "more than one VALUE"},
		{[]string{"-event", "12", "16"}, "both -event"},
		{[]string{"-x", "12"}, "flag provided but not defined: -x"},
		{[]string{"-timeout", "soon", "12"}, "invalid value"},
		{[]string{"-timeout", "-1s", "12"}, "negative -timeout"},
		{[]string{"-event"}, "flag needs an argument"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		err := run(tt.args, &stdout, &stderr)
		if code := exitcode.Of(err); code != exitcode.Usage || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), synopsis) {
			t.Errorf("run(%q) = %v (exit %d), want exit %d and %q with the synopsis", tt.args, err, code, exitcode.Usage, tt.want)
		}
		if stdout.Len()+stderr.Len() != 0 {
			t.Errorf("run(%q) printed %q, %q; want nothing", tt.args, stdout.String(), stderr.String())
		}
	}
}

func TestHelp(t *testing.T) {
	var stdout bytes.Buffer
	err := run([]string{"-h"}, &stdout, new(bytes.Buffer))
	if !errors.Is(err, flag.ErrHelp) || exitcode.Of(err) != 0 {
		t.Fatalf("run(-h) = %v, want flag.ErrHelp (exit 0)", err)
	}
	for _, want := range []string{synopsis, "-event VALUE", "-parent VALUE", "-timeout D", "Exit codes:", exitcode.Table(false)} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("run(-h) printed:\n%s\nwant %q in it", stdout.String(), want)
		}
	}
}

// TestBadValue runs the child in this process with values that name no
// inherited event: it must say so, exit with the code of the reason, and
// never wait.
func TestBadValue(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"0"}, exitcode.BadValue},
		{[]string{"abc"}, exitcode.BadValue},
		{[]string{"-event", ""}, exitcode.BadValue},
		{[]string{"0xFFFFFFFF"}, exitcode.BadValue},
		{[]string{"12344"}, exitcode.NotInherited},
		{[]string{"-parent", "", "12344"}, exitcode.NotInherited}, // the event is checked first
	}
	for _, tt := range tests {
		var stdout bytes.Buffer
		err := run(tt.args, &stdout, new(bytes.Buffer))
		if code := exitcode.Of(err); code != tt.code {
			t.Errorf("run(%q) = %v (exit %d), want exit %d", tt.args, err, code, tt.code)
		}
		want := fmt.Sprintf("[CHILD] exiting with code %d\n", tt.code)
		if !strings.HasPrefix(stdout.String(), "[CHILD] pid ") || !strings.HasSuffix(stdout.String(), want) || strings.Contains(stdout.String(), "waiting") {
			t.Errorf("run(%q) printed:\n%s\nwant a start line, no wait, then %q", tt.args, stdout.String(), want)
		}
	}
}

// TestTraceLines checks that with HANDOFF_TRACE=1 the child writes only
// trace lines, which parse.
func TestTraceLines(t *testing.T) {
	t.Setenv(trace.EnvVar, "1")
	var stdout bytes.Buffer
	err := run([]string{"-parent", "16", "0"}, &stdout, new(bytes.Buffer))
	if exitcode.Of(err) != exitcode.BadValue {
		t.Fatalf("run = %v, want a bad value", err)
	}
	var steps []string
	for _, line := range strings.SplitAfter(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
		e, err := trace.ParseLine([]byte(line))
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		steps = append(steps, e.Step)
		if e.Step == "exiting" {
			if code, _ := e.Get("code"); code != "3" {
				t.Errorf("exiting with code %q, want 3", code)
			}
			if msg, _ := e.Get("error"); !strings.Contains(msg, "bad handle value") {
				t.Errorf("exiting with error %q, want a bad handle value", msg)
			}
		}
		if e.Step == "start" {
			if v, _ := e.Get("parent"); v != "16" {
				t.Errorf("start: parent %q, want 16", v)
			}
		}
	}
	if got := strings.Join(steps, " "); got != "start exiting" {
		t.Errorf("steps %q, want start exiting", got)
	}
}

// FuzzParse feeds the command-line parser any arguments (one string, split at
// NUL bytes): it must not panic, and it must either fail with a usage error
// or name exactly one event value, which is then checked by handoff.OpenEvent.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"12", "-event\x0012", "12\x00-parent\x0016", "--\x00-1", "-h", "-timeout\x00-1s\x0012", "12\x0016", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		cfg, err := parse(args, new(bytes.Buffer))
		switch {
		case errors.Is(err, flag.ErrHelp):
		case err != nil:
			if code := exitcode.Of(err); code != exitcode.Usage {
				t.Fatalf("parse(%q) = %v, exit code %d; want a usage error", args, err, code)
			}
		case cfg.timeout < 0:
			t.Fatalf("parse(%q) accepted a negative timeout %v", args, cfg.timeout)
		case !strings.Contains(s, cfg.event):
			t.Fatalf("parse(%q) = event %q, which is not among the arguments", args, cfg.event)
		}
	})
}
