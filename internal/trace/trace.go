package trace

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// EnvVar is the environment variable that asks a child for trace lines: a
// child that finds it set to "1" writes its steps as [Prefix] lines on its
// standard output instead of its usual messages.
const EnvVar = "HANDOFF_TRACE"

// Who a step belongs to.
const (
	Parent = "parent"
	Child  = "child"
)

// Now returns the reading of the system's monotonic clock in nanoseconds.
// Readings taken in different processes of the same machine can be compared;
// the origin is unspecified (usually the boot).
func Now() (int64, error) { return now() }

// A Field is one detail of a step, such as pid=1234.
type Field struct {
	Key, Value string
}

// An Event is one step of one process.
type Event struct {
	Mono   int64   // when: a reading of Now
	Who    string  // Parent or Child
	Step   string  // what, such as "event-set"
	Detail []Field // details, in the order the step gave them
}

// Fields makes a detail list from alternating keys and values; a value is
// formatted with fmt.Sprint.
func Fields(kv ...any) []Field {
	if len(kv)%2 != 0 {
		panic("trace.Fields: odd number of arguments")
	}
	d := make([]Field, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		d = append(d, Field{fmt.Sprint(kv[i]), fmt.Sprint(kv[i+1])})
	}
	return d
}

// Get returns the value of the detail key, and whether there is one.
func (e Event) Get(key string) (string, bool) {
	for _, f := range e.Detail {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

// A Recorder keeps the steps of one process. Its methods may be called from
// several goroutines at once.
type Recorder struct {
	who string

	mu     sync.Mutex
	events []Event
}

// NewRecorder returns a Recorder for the steps of who ([Parent] or [Child]).
func NewRecorder(who string) *Recorder {
	return &Recorder{who: who}
}

// Add records step at the current time, with details made by [Fields] from
// kv, and returns the event. It fails only if the clock cannot be read.
func (r *Recorder) Add(step string, kv ...any) (Event, error) {
	t, err := Now()
	if err != nil {
		return Event{}, err
	}
	return r.AddAt(t, step, kv...), nil
}

// AddAt records step at time t, a reading of [Now], and returns the event.
func (r *Recorder) AddAt(t int64, step string, kv ...any) Event {
	e := Event{Mono: t, Who: r.who, Step: step, Detail: Fields(kv...)}
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	return e
}

// Events returns a copy of the steps recorded so far, in the order they
// were added.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Clean makes s fit for a detail value: invalid UTF-8 and control
// characters become U+FFFD, and s is cut to the length a value may have.
func Clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || 0x80 <= r && r < 0xa0 {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	for len(s) > maxValue {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}
