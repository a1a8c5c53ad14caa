package handoff

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"unicode/utf8"
)

// OpenFile returns the file that this process inherited under value, as
// [File] passed it, checked like [OpenEvent]'s event. On Windows it must be
// a File object (a file, a pipe, a console); on Linux any descriptor that is
// not an eventfd, pidfd or other anonymous inode; on macOS and the BSDs any
// descriptor, for the kernel cannot tell handoff's pipes from others. On
// Unix, 0, 1 and 2 are refused with [ErrWrongType] on every backend: a
// Handoff never passes them, and the caller would own, and close, its
// standard input, output or error. The file is no longer inheritable; the
// caller owns it. Its name, for errors, is "handoff-" and value (and
// "handoff-" and the name when [Handles.File] opens it).
func OpenFile(value string) (*os.File, error) {
	h, err := openInherited(value, kindFile)
	if err != nil {
		return nil, err
	}
	return os.NewFile(h.value(), "handoff-"+value), nil
}

// claims lists what this process has opened with openInherited, so that
// no object is opened twice, under one value or two: with fd 3 and fd 5 the
// same event, a child that took 5 for its ready object would signal the
// event itself.
var claims struct {
	sync.Mutex
	list []claimed
}

type claimed struct {
	what  string // the kind and value it was opened as, such as "event 3"
	value string // its value, formatted
	id    objectID
}

// claim records that value, opened as what, names the object id, unless an
// object that same reports to be id was opened before, under any value.
func claim(what, value string, id objectID, same func(a, b objectID) bool) error {
	claims.Lock()
	defer claims.Unlock()
	for _, c := range claims.list {
		if same(c.id, id) {
			return fmt.Errorf("it names the object already opened as %s: one object is handed over under one value", c.what)
		}
	}
	claims.list = append(claims.list, claimed{what, value, id})
	return nil
}

// ReadyName is the name under which a [Handoff] passes the ready object
// when [Handoff.ExpectReady] was called; a child signals it with
// [SignalReady] or [Handles.Ready].
const ReadyName = "ready"

// HandlesName is the placeholder of the handles argument: every occurrence
// of {handles} in a command's arguments or environment is replaced with the
// list of every handle passed, with its name and kind, which a child reads
// with [ParseHandles]. See [Handles] for its form.
const HandlesName = "handles"

// SignalReady tells the parent that this process has verified what it
// received: it opens the ready object passed under value and signals it.
func SignalReady(value string) error {
	return signalReady(openInherited(value, kindReady))
}

// signalReady signals and closes the ready object h, opened with err.
func signalReady(h sysHandle, err error) error {
	if err != nil {
		return err
	}
	if err := h.set(); err != nil {
		h.close()
		return fmt.Errorf("handoff: signal ready: %w", err)
	}
	return h.close()
}

// Handles is what a child received, as listed by its parent in the handles
// argument ({handles}). The argument is a comma-separated list of
// name=kind:value entries, such as
//
//	go=event:3,msg=shm:4,parent=lifeline:5,ready=ready:6
//
// where name is made of lowercase ASCII letters, digits, '-' and '_', kind is
// one of event, semaphore, shm, file, lifeline and ready, and value is as
// [ParseValue] takes it. No name and no value may appear twice, and the
// list is not empty.
//
// The methods open a handle by name and kind. A name that is not listed is
// an error wrapping [ErrNotPassed]; a name listed with another kind, or whose
// handle names another kind of object, one wrapping [ErrWrongType]. Each
// handle can be opened once: after that it is no longer inheritable, and a
// second open reports [ErrNotInherited].
type Handles struct {
	entries []handleEntry
}

type handleEntry struct {
	name  string
	kind  kind
	value string
}

// ParseHandles parses a handles argument. Errors wrap [ErrBadValue].
func ParseHandles(s string) (*Handles, error) {
	fail := func(format string, args ...any) (*Handles, error) {
		return nil, fmt.Errorf("handoff: handles argument %q: %w: %s", s, ErrBadValue, fmt.Sprintf(format, args...))
	}
	if s == "" {
		return fail("empty")
	}
	hs := &Handles{}
	names := map[string]bool{}
	values := map[uintptr]string{}
	for i, e := range strings.Split(s, ",") {
		name, rest, ok := strings.Cut(e, "=")
		if !ok {
			return fail("entry %d (%q): no '='", i+1, e)
		}
		if !validName(name) {
			return fail("entry %d (%q): invalid name %q", i+1, e, name)
		}
		kindName, value, ok := strings.Cut(rest, ":")
		if !ok {
			return fail("entry %d (%q): no ':' between kind and value", i+1, e)
		}
		k, ok := parseKind(kindName)
		if !ok {
			return fail("entry %d (%q): unknown kind %q", i+1, e, kindName)
		}
		v, err := parseValue(value)
		if err != nil {
			return fail("entry %d (%q): value %q: %v", i+1, e, value, err)
		}
		if names[name] {
			return fail("name %q listed twice", name)
		}
		if other, ok := values[v]; ok {
			return fail("value %s listed for both %q and %q", value, other, name)
		}
		names[name], values[v] = true, name
		hs.entries = append(hs.entries, handleEntry{name, k, value})
	}
	return hs, nil
}

// String returns the handles argument that lists hs: "" if hs is nil.
func (hs *Handles) String() string {
	if hs == nil {
		return ""
	}
	var b strings.Builder
	for i, e := range hs.entries {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(e.name)
		b.WriteByte('=')
		b.WriteString(e.kind.String())
		b.WriteByte(':')
		b.WriteString(e.value)
	}
	return b.String()
}

// Names returns the names listed, in order. A nil Handles lists none.
func (hs *Handles) Names() []string {
	if hs == nil {
		return nil
	}
	out := make([]string, len(hs.entries))
	for i, e := range hs.entries {
		out[i] = e.name
	}
	return out
}

// Kind returns the kind listed under name ("event", "semaphore", "shm",
// "file", "lifeline" or "ready"), and whether there is one.
func (hs *Handles) Kind(name string) (string, bool) {
	if e := hs.entry(name); e != nil {
		return e.kind.String(), true
	}
	return "", false
}

// Has reports whether a handle is listed under name. A nil Handles lists
// none.
func (hs *Handles) Has(name string) bool {
	_, ok := hs.Value(name)
	return ok
}

// Value returns the value listed under name, and whether there is one.
func (hs *Handles) Value(name string) (string, bool) {
	if e := hs.entry(name); e != nil {
		return e.value, true
	}
	return "", false
}

// entry returns the entry listed under name, nil if there is none.
func (hs *Handles) entry(name string) *handleEntry {
	if hs == nil {
		return nil
	}
	for i := range hs.entries {
		if hs.entries[i].name == name {
			return &hs.entries[i]
		}
	}
	return nil
}

// open opens the handle listed under name, which must be of kind want.
func (hs *Handles) open(name string, want kind) (sysHandle, error) {
	e := hs.entry(name)
	if e == nil {
		return sysHandle{}, fmt.Errorf("handoff: %s %q: %w", want, name, ErrNotPassed)
	}
	if e.kind != want {
		return sysHandle{}, fmt.Errorf("handoff: %s %q: %w: listed as %s %s", want, name, ErrWrongType, article(e.kind.String()), e.kind)
	}
	h, err := openInherited(e.value, want)
	if err != nil {
		// openInherited's error names the kind and the value; the name
		// goes in front of them, "handoff:" once.
		if msg, ok := strings.CutPrefix(err.Error(), "handoff: "); ok {
			return sysHandle{}, &namedError{fmt.Sprintf("handoff: name %q: %s", name, msg), err}
		}
		return sysHandle{}, fmt.Errorf("handoff: %s %q: %w", want, name, err)
	}
	return h, nil
}

// namedError is an error of openInherited with the name it was opened
// under in its text.
type namedError struct {
	msg string
	err error
}

func (e *namedError) Error() string { return e.msg }
func (e *namedError) Unwrap() error { return e.err }

// article returns "a" or "an", whichever goes before word.
func article(word string) string {
	if r, _ := utf8.DecodeRuneInString(word); strings.ContainsRune("aeiouAEIOU", r) {
		return "an"
	}
	return "a"
}

// Event opens the event listed under name, as [OpenEvent] does.
func (hs *Handles) Event(name string) (*Event, error) {
	h, err := hs.open(name, kindEvent)
	if err != nil {
		return nil, err
	}
	return &Event{h: h, objectState: made}, nil
}

// Semaphore opens the semaphore listed under name, as [OpenSemaphore] does.
func (hs *Handles) Semaphore(name string) (*Semaphore, error) {
	h, err := hs.open(name, kindSemaphore)
	if err != nil {
		return nil, err
	}
	return &Semaphore{h: h, objectState: made}, nil
}

// SharedMemory opens and maps the shared memory listed under name, as
// [OpenSharedMemory] does.
func (hs *Handles) SharedMemory(name string) (*SharedMemory, error) {
	h, err := hs.open(name, kindMemory)
	if err != nil {
		return nil, err
	}
	return mapShared(h)
}

// File opens the file listed under name, as [OpenFile] does.
func (hs *Handles) File(name string) (*os.File, error) {
	h, err := hs.open(name, kindFile)
	if err != nil {
		return nil, err
	}
	return os.NewFile(h.value(), "handoff-"+name), nil
}

// Lifeline opens the lifeline, listed under [LifelineName], as
// [OpenLifeline] does.
func (hs *Handles) Lifeline() (*Lifeline, error) {
	h, err := hs.open(LifelineName, kindLifeline)
	if err != nil {
		return nil, err
	}
	return &Lifeline{h: h, objectState: made}, nil
}

// Ready signals the ready object, listed under [ReadyName], as
// [SignalReady] does.
func (hs *Handles) Ready() error {
	return signalReady(hs.open(ReadyName, kindReady))
}

// kind is what a child expects a value to name.
type kind int

const (
	kindEvent kind = iota
	kindLifeline
	kindSemaphore
	kindMemory
	kindFile
	kindReady
)

var kindNames = [...]string{
	kindEvent:     "event",
	kindLifeline:  "lifeline",
	kindSemaphore: "semaphore",
	kindMemory:    "shm",
	kindFile:      "file",
	kindReady:     "ready",
}

func (k kind) String() string {
	if 0 <= k && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

func parseKind(s string) (kind, bool) {
	for k, name := range kindNames {
		if name == s {
			return kind(k), true
		}
	}
	return 0, false
}
