package handoff

// The open-refusals contract, on every backend: a child handed a wrong
// value refuses it with the right sentinel error, within a second. The
// platform's values and checks come from openPlatform (openrefuses_*_test.go).

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func init() {
	registerHelper("open", helperOpen)
}

// openStep is one open a child does: OpenEvent or OpenLifeline of value,
// which must fail with want (nil: succeed). In value, the child replaces
// <event> and <parent> by the values of its event and lifeline, and
// openPlatform.value resolves the other <...> words.
type openStep struct {
	kind, value string
	want        error
}

// openRow is a case of TestOpenRefuses: the opens of one child, in order.
type openRow struct {
	name  string
	steps []openStep
}

// openRowOf is a row of one step.
func openRowOf(name, kind, value string, want error) openRow {
	return openRow{name, []openStep{{kind, value, want}}}
}

// openState is what a value names in the child, before the open: valid,
// inheritable, and of which type ("" where the platform does not tell).
type openState struct {
	Valid, Inherit bool
	Type           string `json:",omitempty"`
}

// openReport is what an "open" child reports of one step.
type openReport struct {
	Value    string    // as passed to the open
	Before   openState // what Value named before the open
	Err      string    `json:",omitempty"`
	Sentinel string    `json:",omitempty"`
	Errno    uint32    `json:",omitempty"` // the system's error in Err, if any
	Elapsed  time.Duration
}

// openPlatform is what each platform gives TestOpenRefuses.
var openPlatform struct {
	// unused is a value that names nothing in the child.
	unused string
	// rows are the platform's own rows.
	rows []openRow
	// prepare readies the command of the child of row (extra files,
	// standard handles) and returns what to check once Start has passed
	// the event.
	prepare func(t *testing.T, cmd *exec.Cmd, row openRow) (started func(t *testing.T, h *Handoff))
	// value resolves, in the child, a value word other than <event> and
	// <parent>; ok is false for a word the platform does not know.
	value func(word, event, parent string) (v string, ok bool)
	// state tells what value names in the child.
	state func(value string) openState
	// check checks a step's report beyond its sentinel, and returns the
	// sentinel wanted, which may depend on what the child saw.
	check func(t *testing.T, s openStep, r openReport) (want error)
}

// helperOpen (args {event} {parent} kind value [kind value]...) does each
// open in order, and reports each as a JSON line.
func helperOpen(args []string) {
	enc := json.NewEncoder(os.Stdout)
	for i := 2; i+1 < len(args); i += 2 {
		kind, value := args[i], args[i+1]
		value = strings.NewReplacer("<event>", args[0], "<parent>", args[1]).Replace(value)
		if strings.HasPrefix(value, "<") {
			v, ok := openPlatform.value(value, args[0], args[1])
			if !ok {
				panic("open: unknown value " + value)
			}
			value = v
		}
		r := openReport{Value: value, Before: openPlatform.state(value)}
		start := time.Now()
		var err error
		if kind == "lifeline" {
			_, err = OpenLifeline(value)
		} else {
			_, err = OpenEvent(value)
		}
		r.Elapsed = time.Since(start)
		if err != nil {
			r.Err, r.Sentinel = err.Error(), sentinel(err)
		}
		var errno syscall.Errno
		if errors.As(err, &errno) {
			r.Errno = uint32(errno)
		}
		enc.Encode(r)
	}
}

// TestOpenRefuses hands children wrong values and checks each refuses them
// with the right error, quickly.
func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	rows := []openRow{
		openRowOf("unused event", "event", openPlatform.unused, ErrNotInherited),
		openRowOf("unused lifeline", "lifeline", openPlatform.unused, ErrNotInherited),
		// 0xFFFFFFFC, the largest value that parses. Sign-extended on
		// Windows, it would be -4, GetCurrentProcessToken's pseudo-handle;
		// beyond any descriptor elsewhere. It must name nothing.
		openRowOf("0xFFFFFFFC", "event", "4294967292", ErrNotInherited),
		openRowOf("own event", "event", "<own>", ErrNotInherited),
		openRowOf("lifeline as event", "event", "<parent>", ErrWrongType),
		openRowOf("event as lifeline", "lifeline", "<event>", ErrWrongType),
		// A standard handle of the child that is what an event (or a
		// lifeline) is, but never handed over.
		openRowOf("std as event", "event", "<std>", ErrWrongType),
		openRowOf("std as lifeline", "lifeline", "<std>", ErrWrongType),
		// The real ones, then the same again: accepted once, the handles
		// are no longer inheritable.
		{"accepted once", []openStep{
			{"event", "<event>", nil},
			{"lifeline", "<parent>", nil},
			{"event", "<event>", ErrNotInherited},
			{"lifeline", "<parent>", ErrNotInherited},
		}},
	}
	for _, row := range append(rows, openPlatform.rows...) {
		t.Run(row.name, func(t *testing.T) {
			args := []string{"{event}", "{parent}"}
			for _, s := range row.steps {
				args = append(args, s.kind, s.value)
			}
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = helperEnv("open")
			cmd.Stderr = os.Stderr
			started := openPlatform.prepare(t, cmd, row)
			outR, outW := pipe(t)
			t.Cleanup(func() { outR.Close() })
			cmd.Stdout = outW
			h := Command(cmd)
			h.Pass("event", testEvent(t))
			err := h.Start()
			outW.Close()
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); h.Wait() })
			started(t, h)
			dec := json.NewDecoder(outR)
			for _, s := range row.steps {
				var r openReport
				if err := dec.Decode(&r); err != nil {
					t.Fatalf("child's report of Open %s(%q): %v", s.kind, s.value, err)
				}
				switch s.value {
				case openPlatform.unused:
					if r.Before.Valid {
						t.Fatalf("value %s is in use in the child: %+v", r.Value, r.Before)
					}
				case "<own>":
					if !r.Before.Valid || r.Before.Inherit {
						t.Fatalf("child's own event %s: %+v, want valid, not inheritable", r.Value, r.Before)
					}
				}
				want := sentinel(openPlatform.check(t, s, r))
				if r.Sentinel != want {
					t.Errorf("child: Open %s(%q) = %q (%s), want %q", s.kind, r.Value, r.Sentinel, r.Err, want)
				}
				if r.Elapsed >= time.Second {
					t.Errorf("child: Open %s(%q) took %v, want < 1s", s.kind, r.Value, r.Elapsed)
				}
			}
			if err := h.Wait(); err != nil {
				t.Errorf("Wait: %v", err)
			}
		})
	}
}
