package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/clitest"
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
		{[]string{"8", "-parent", "8"}, "-parent 8 is the event's value too"},
		{[]string{"-event", "0x8", "-parent", "8"}, "-parent 8 is the event's value too"},
	}
	for _, tt := range tests {
		clitest.Misuse(t, run, synopsis, tt.args, tt.want)
	}
}

func TestHelp(t *testing.T) {
	clitest.Help(t, run, synopsis, "-event VALUE", "-parent VALUE", "-timeout D", "Exit codes:", exitcode.Table(false))
}

// TestBadValue runs the child in this process with values that name no
// inherited event: it must say so, exit with the code of the reason, and
// never wait.
func TestBadValue(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"0"}, handoff.ExitBadValue},
		{[]string{"abc"}, handoff.ExitBadValue},
		{[]string{"-event", ""}, handoff.ExitBadValue},
		{[]string{"0xFFFFFFFF"}, handoff.ExitBadValue},
		{[]string{"12344"}, handoff.ExitNotInherited},
		{[]string{"-parent", "", "12344"}, handoff.ExitNotInherited}, // the event is checked first
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
	if exitcode.Of(err) != handoff.ExitBadValue {
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

// FuzzParse feeds the command-line parser any arguments (one string, split
// at NUL bytes). A command line that it accepts must give back its values as
// they were given, and parse the same when written out again; made
// malformed (a second VALUE, the other form, a negative -timeout) it must be
// refused with exit code 2. The event and the lifeline it names are then
// opened as the child opens them, in this process, and must be refused: a
// malformed value as a bad value (exit 3), a well-formed one as not
// inherited (exit 4), one listed as another kind as the wrong type (exit 5),
// one not listed as not passed (exit 4). A value that names a handle this
// process may really have inherited is not opened (see checkRefusal).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"12", "-event\x0012", "12\x00-parent\x0016", "--\x00-1", "-h", "--help=0", "-timeout\x00-1s\x0012", "12\x0016", "",
		"-event=-1", "-event\x00 42", "-event=", "-parent=\x001", "-timeout=0\x00--\x00--",
		"012", "+12", "1_2", "0x", "0xC", "0X0000000c", "0xg", "13", "0", "4294967292", "4294967295", "0xFFFFFFFF", "4294967296",
		"-handles\x00event=event:12", "-handles=event=event:012", "-handles\x00event=semaphore:12",
		"-handles\x00ready=ready:12", "-handles\x00event=event:12,parent=lifeline:16", "-handles\x00event=event:12,x=shm:12",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		cfg, err := parse(args, io.Discard)
		switch {
		case errors.Is(err, flag.ErrHelp):
			if !slices.ContainsFunc(args, isHelp) {
				t.Fatalf("parse(%q) = %v, but no argument asks for help", args, err)
			}
			return
		case err != nil:
			if code := exitcode.Of(err); code != handoff.ExitUsage {
				t.Fatalf("parse(%q) = %v, exit code %d; want a usage error", args, err, code)
			}
			return
		}
		checkGiven(t, args, cfg)
		checkRefused(t, args, cfg)
		checkOpen(t, cfg)
	})
}

// isHelp reports whether a is the flag -h or -help, with one dash or two,
// with or without a value.
func isHelp(a string) bool {
	name, ok := strings.CutPrefix(a, "-")
	name = strings.TrimPrefix(name, "-")
	name, _, _ = strings.Cut(name, "=")
	return ok && (name == "h" || name == "help")
}

// checkGiven checks that cfg, parsed from args, holds the values of args as
// they were given, and that it parses the same from each way of writing it.
func checkGiven(t *testing.T, args []string, cfg config) {
	t.Helper()
	given := func(name, v string) bool {
		for i, a := range args {
			if (a == "-"+name || a == "--"+name) && i+1 < len(args) && args[i+1] == v || a == "-"+name+"="+v || a == "--"+name+"="+v {
				return true
			}
		}
		return false
	}
	switch {
	case cfg.timeout < 0:
		t.Fatalf("parse(%q) accepted a negative timeout %v", args, cfg.timeout)
	case cfg.hasHandles && (!given("handles", cfg.handles) || cfg.event != "" || cfg.hasParent):
		t.Fatalf("parse(%q) = %+v: not the -handles given, or more", args, cfg)
	case !cfg.hasHandles && !given("event", cfg.event) && !slices.Contains(args, cfg.event):
		t.Fatalf("parse(%q) = event %q, which is not among the arguments", args, cfg.event)
	case cfg.hasParent && !given("parent", cfg.parent):
		t.Fatalf("parse(%q) = parent %q, which is not the -parent given", args, cfg.parent)
	}
	timeout := "-timeout=" + cfg.timeout.String()
	forms := [][]string{{timeout, "-handles=" + cfg.handles}}
	if !cfg.hasHandles {
		parent := []string{}
		if cfg.hasParent {
			parent = []string{"-parent", cfg.parent}
		}
		forms = [][]string{
			slices.Concat([]string{timeout, "-event=" + cfg.event}, parent),
			slices.Concat(parent, []string{timeout, "--", cfg.event}),
		}
	}
	for _, form := range forms {
		if got, err := parse(form, io.Discard); err != nil || got != cfg {
			t.Fatalf("parse(%q) = %+v, %v; want %+v, as from %q", form, got, err, cfg, args)
		}
	}
}

// checkRefused checks that args, which parse accepted as cfg, are refused
// with one more VALUE or two, with the other form, or with a negative
// -timeout after them; and that a flag after "--" and the VALUE is taken as
// a second VALUE.
func checkRefused(t *testing.T, args []string, cfg config) {
	t.Helper()
	other := []string{"-handles", "event=event:12"}
	if cfg.hasHandles {
		other = []string{"-event", "12"}
	}
	bad := [][]string{}
	for _, more := range [][]string{{"12"}, {"12", "16"}, other, {"-timeout", "-1s"}} {
		bad = append(bad, slices.Concat(args, more))
	}
	if !cfg.hasHandles {
		bad = append(bad, []string{"--", cfg.event, "-timeout=1s"})
	}
	for _, b := range bad {
		if _, err := parse(b, io.Discard); exitcode.Of(err) != handoff.ExitUsage {
			t.Fatalf("parse(%q) = %v, want a usage error", b, err)
		}
	}
}

// checkOpen opens the event and the lifeline that cfg names as the child
// does, in this process, and checks that each is refused for the reason its
// value calls for.
func checkOpen(t *testing.T, cfg config) {
	t.Helper()
	var hs *handoff.Handles
	openEv := func() error {
		ev, err := openEvent(cfg, hs)
		if ev != nil {
			ev.Close()
		}
		return err
	}
	openLife := func() error {
		l, err := openLifeline(cfg, hs)
		if l != nil {
			l.Close()
		}
		return err
	}
	if !cfg.hasHandles {
		checkRefusal(t, "event", cfg.event, openEv)
		if cfg.hasParent {
			checkRefusal(t, "lifeline", cfg.parent, openLife)
		}
		return
	}
	var err error
	if hs, err = handoff.ParseHandles(cfg.handles); err != nil {
		if !errors.Is(err, handoff.ErrBadValue) || exitcode.Of(err) != handoff.ExitBadValue {
			t.Fatalf("ParseHandles(%q) = %v, want a bad value (exit 3)", cfg.handles, err)
		}
		return
	}
	checkListed(t, hs, cfg.handles, "event", "event", openEv)
	if hs.Has(handoff.LifelineName) {
		checkListed(t, hs, cfg.handles, handoff.LifelineName, "lifeline", openLife)
	}
}

// checkListed checks that open, which opens what the handles argument s
// (parsed as hs) lists under name as a kind, refuses it: as not passed if
// s does not list it, of the wrong type if s lists it as another kind, else
// for the reason its value calls for.
func checkListed(t *testing.T, hs *handoff.Handles, s, name, kind string, open func() error) {
	t.Helper()
	var listedKind, value string
	listed := false
	for _, e := range strings.Split(s, ",") {
		if n, rest, _ := strings.Cut(e, "="); n == name {
			listedKind, value, _ = strings.Cut(rest, ":")
			listed = true
		}
	}
	if v, ok := hs.Value(name); v != value || ok != listed {
		t.Fatalf("ParseHandles(%q).Value(%q) = %q, %v; want %q, %v", s, name, v, ok, value, listed)
	}
	switch {
	case !listed:
		if err := open(); !errors.Is(err, handoff.ErrNotPassed) || exitcode.Of(err) != handoff.ExitNotInherited {
			t.Fatalf("handles %q: open %s = %v, want not passed (exit 4)", s, name, err)
		}
	case listedKind != kind:
		if err := open(); !errors.Is(err, handoff.ErrWrongType) || exitcode.Of(err) != handoff.ExitWrongType {
			t.Fatalf("handles %q: open %s = %v, want the wrong type (exit 5)", s, name, err)
		}
	case !wellFormed(value):
		t.Fatalf("ParseHandles(%q) accepted the malformed value %q", s, value)
	default:
		checkRefusal(t, name, value, open)
	}
}

// checkRefusal checks that open, which opens value as what, refuses it for
// the reason that value calls for: a malformed value as a bad value (exit
// 3), a well-formed one as not inherited (exit 4). A value that names a
// handle this process may really have inherited (standard input, output
// and error; the pipes of a fuzzing worker) is not opened: the child would
// rightly take it if it were of the right type.
func checkRefusal(t *testing.T, what, value string, open func() error) {
	t.Helper()
	if !wellFormed(value) {
		if err := open(); !errors.Is(err, handoff.ErrBadValue) || exitcode.Of(err) != handoff.ExitBadValue {
			t.Fatalf("open %s %q = %v, want a bad value (exit 3)", what, value, err)
		}
		return
	}
	if n, _ := strconv.ParseUint(value, 0, 64); mayBeInherited(n) {
		return
	}
	if err := open(); !errors.Is(err, handoff.ErrNotInherited) || exitcode.Of(err) != handoff.ExitNotInherited {
		t.Fatalf("open %s %q = %v, want not inherited (exit 4)", what, value, err)
	}
}

// valueForm is the form of a handle value: decimal without a leading zero,
// or hexadecimal after 0x or 0X.
var valueForm = regexp.MustCompile(`^(0[xX][0-9a-fA-F]+|[1-9][0-9]*)$`)

// wellFormed reports whether v is a handle value as the child documents it
// (see handoff.ParseValue): of valueForm, neither 0 nor 0xFFFFFFFF, within
// 32 bits and, on Windows, a multiple of 4.
func wellFormed(v string) bool {
	if !valueForm.MatchString(v) {
		return false
	}
	n, err := strconv.ParseUint(v, 0, 64)
	if err != nil {
		return false // beyond 64 bits
	}
	return n != 0 && n < 0xFFFFFFFF && (runtime.GOOS != "windows" || n%4 == 0)
}
