package handoff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// An Object is something a [Handoff] can pass to a child: an [*Event], a
// [*Semaphore], a [*SharedMemory], or a file given with [File].
type Object interface {
	// object returns the handle to pass and the kind of object it names.
	object() (sysHandle, kind, error)
}

func (e *Event) object() (sysHandle, kind, error)        { return e.h, kindEvent, nil }
func (s *Semaphore) object() (sysHandle, kind, error)    { return s.h, kindSemaphore, nil }
func (m *SharedMemory) object() (sysHandle, kind, error) { return m.h, kindMemory, nil }

// File returns an Object that passes f to a child, which opens it with
// [Handles.File] or [OpenFile]. f stays owned by the caller and must stay
// open until Start returns; the child gets a handle of its own. Any file
// will do: a pipe end, a regular file, a socket.
func File(f *os.File) Object { return fileObject{f} }

type fileObject struct{ f *os.File }

func (o fileObject) object() (sysHandle, kind, error) {
	if o.f == nil {
		return sysHandle{}, kindFile, errors.New("nil file")
	}
	h, err := fileHandle(o.f)
	return h, kindFile, err
}

// OpenFile returns the file that this process inherited under value, as
// [File] passed it, checked like [OpenEvent]'s event. On Windows it must be
// a File object (a file, a pipe, a console); on Linux any descriptor that is
// not an eventfd, pidfd or other anonymous inode; on macOS and the BSDs any
// descriptor, for the kernel cannot tell handoff's pipes from others. The
// file is no longer inheritable; the caller owns it.
func OpenFile(value string) (*os.File, error) {
	h, err := openInherited(value, kindFile)
	if err != nil {
		return nil, err
	}
	return os.NewFile(h.value(), "handoff-"+value), nil
}

// ReadyName is the name under which a [Handoff] passes the ready object
// when [Handoff.ExpectReady] was called; a child signals it with
// [SignalReady] or [Handles.Ready].
const ReadyName = "ready"

// HandlesName is the placeholder of the names argument: every occurrence of
// {handles} in a command's arguments or environment is replaced with the
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

// Handles is what a child received, as listed by its parent in the names
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

// ParseHandles parses a names argument. Errors wrap [ErrBadValue].
func ParseHandles(s string) (*Handles, error) {
	fail := func(format string, args ...any) (*Handles, error) {
		return nil, fmt.Errorf("handoff: names argument %q: %w: %s", s, ErrBadValue, fmt.Sprintf(format, args...))
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

// String returns the names argument that lists hs.
func (hs *Handles) String() string {
	var b strings.Builder
	for i, e := range hs.entries {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%s:%s", e.name, e.kind, e.value)
	}
	return b.String()
}

// Names returns the names listed, in order, each with its kind ("event",
// "semaphore", "shm", "file", "lifeline" or "ready").
func (hs *Handles) Names() [][2]string {
	out := make([][2]string, len(hs.entries))
	for i, e := range hs.entries {
		out[i] = [2]string{e.name, e.kind.String()}
	}
	return out
}

// Has reports whether a handle is listed under name. A nil Handles lists
// none.
func (hs *Handles) Has(name string) bool {
	_, ok := hs.Value(name)
	return ok
}

// Value returns the value listed under name, and whether there is one.
func (hs *Handles) Value(name string) (string, bool) {
	if hs == nil {
		return "", false
	}
	for _, e := range hs.entries {
		if e.name == name {
			return e.value, true
		}
	}
	return "", false
}

// open opens the handle listed under name, which must be of kind want.
func (hs *Handles) open(name string, want kind) (sysHandle, error) {
	for _, e := range hs.entries {
		if e.name != name {
			continue
		}
		if e.kind != want {
			return sysHandle{}, fmt.Errorf("handoff: %s %q: %w: listed as a %s", want, name, ErrWrongType, e.kind)
		}
		h, err := openInherited(e.value, want)
		if err != nil {
			return sysHandle{}, fmt.Errorf("handoff: %s %q: %w", want, name, err)
		}
		return h, nil
	}
	return sysHandle{}, fmt.Errorf("handoff: %s %q: %w", want, name, ErrNotPassed)
}

// Event opens the event listed under name, as [OpenEvent] does.
func (hs *Handles) Event(name string) (*Event, error) {
	h, err := hs.open(name, kindEvent)
	if err != nil {
		return nil, err
	}
	return &Event{h: h}, nil
}

// Semaphore opens the semaphore listed under name, as [OpenSemaphore] does.
func (hs *Handles) Semaphore(name string) (*Semaphore, error) {
	h, err := hs.open(name, kindSemaphore)
	if err != nil {
		return nil, err
	}
	return &Semaphore{h: h}, nil
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
	return &Lifeline{h: h}, nil
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

// waitReadyOrExit is the wait of [Handoff.WaitReady]: nil once the ready
// object is signaled, an error wrapping ErrNotReady if the child exits
// first, the cause of ctx if it is done first.
func waitReadyOrExit(ctx context.Context, ready *sysHandle, child *sysHandle, pid int) error {
	switch err := ready.wait(ctx, child); {
	case err == nil:
		return nil
	case errors.Is(err, ErrParentGone):
		return fmt.Errorf("handoff: child %d exited before it was ready: %w", pid, ErrNotReady)
	default:
		return err
	}
}
