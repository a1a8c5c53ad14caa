//go:build unix

package handoff

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// The inheritance checks that Linux and the pipe backend share. Each
// backend supplies what it reads of a descriptor beyond fstat (fdInfo,
// inspect), what identifies it (fdID), which descriptors it records at
// init, and its per-kind switch (checkKind).

// candidate is a descriptor that openInherited checks.
type candidate struct {
	value string
	want  kind
	fd    int
	st    unix.Stat_t
}

// fail returns an error for a descriptor that is not what was wanted.
func (c *candidate) fail(sentinel error, format string, args ...any) error {
	return fmt.Errorf("handoff: %s %s: %w: %s", c.want, c.value, sentinel, fmt.Sprintf(format, args...))
}

// failed returns an error for a check that could not be made.
func (c *candidate) failed(err error) error {
	return fmt.Errorf("handoff: %s %s: %w", c.want, c.value, err)
}

// openInherited checks that value names a descriptor this process
// inherited, of the kind wanted, and not opened before under any value: the
// descriptor must be 3 or above, in the record of what this process
// inherited with the same identity (see inheritedAtStart), of the kind
// wanted, which checkKind tells, and not the same object as one opened
// before (see claim). It leaves the record, so that a second open of the
// value fails, and is made close-on-exec (it is already, from the record,
// unless the program cleared the flag).
func openInherited(value string, want kind) (sysHandle, error) {
	v, err := ParseValue(value)
	if err != nil {
		return closedHandle, err
	}
	c := &candidate{value: value, want: want}
	if v > 1<<31-1 {
		return closedHandle, c.fail(ErrNotInherited, "no such descriptor")
	}
	c.fd = int(v)
	if c.fd <= 2 {
		// A Handoff passes handles from 3 up. Standard output, a pipe's
		// write end, would pass for a ready object on the pipe backend,
		// and taking it over would close it with the object.
		return closedHandle, c.fail(ErrWrongType, "descriptor is standard input, output or error, never a handed-over %s", want)
	}
	record.Lock()
	defer record.Unlock()
	if record.err != nil {
		return closedHandle, c.failed(record.err)
	}
	if err := unix.Fstat(c.fd, &c.st); err == unix.EBADF {
		return closedHandle, c.fail(ErrNotInherited, "no such descriptor")
	} else if err != nil {
		return closedHandle, c.failed(os.NewSyscallError("fstat", err))
	}
	info, err := inspect(c.fd)
	if err != nil {
		return closedHandle, c.failed(err)
	}
	id := info.id(&c.st)
	if rid, ok := inherited[c.fd]; !ok || rid != id {
		if what := opened(FormatValue(v)); what != "" {
			return closedHandle, c.fail(ErrNotInherited, "descriptor was opened already, as %s", what)
		}
		return closedHandle, c.fail(ErrNotInherited, "descriptor was not open when this process started: one of its own")
	}
	h, err := checkKind(c, &info)
	if err != nil {
		return closedHandle, err
	}
	if err := claim(fmt.Sprintf("%s %s", want, value), FormatValue(v), id, sameObjectID); err != nil {
		return closedHandle, c.fail(ErrNotInherited, "%v", err)
	}
	delete(inherited, c.fd)
	unix.CloseOnExec(c.fd)
	return h, nil
}

// opened returns what the value was opened as, "" if it was not.
func opened(value string) string {
	claims.Lock()
	defer claims.Unlock()
	for _, c := range claims.list {
		if c.value == value {
			return c.what
		}
	}
	return ""
}

// objectID is what claim compares: the identity of what a descriptor
// refers to.
type objectID = fdID

// sameObjectID reports whether a and b are the same object: the same
// identity, unless it is that of an anonymous inode without an
// eventfd-id, which every eventfd and, before Linux 6.9, every pidfd
// shares.
func sameObjectID(a, b objectID) bool { return a == b && a.distinct() }

// record guards inherited, the record of what this process inherited, and
// holds why it could not be made, if it could not.
var record struct {
	sync.Mutex
	err error
}

// inheritedAtStart makes the record that each backend keeps in its
// variable inherited: the descriptors among fds, from 3 up, that are open
// and not close-on-exec, each with what id says it refers to, before the
// program's own code could make any. This record, not the close-on-exec
// flag, which any code of the process may change, proves a descriptor
// inherited: the program may have made an eventfd or a pipe without
// close-on-exec, or closed the inherited one and reused its number.
//
// Each descriptor recorded is then marked close-on-exec, so that no child
// that this process starts, with or without handoff, inherits it unless it
// is handed over again (ExtraFiles, or a Handoff once it is opened).
func inheritedAtStart(fds []int, id func(fd int) fdID) map[int]fdID {
	m := make(map[int]fdID)
	for _, fd := range fds {
		if fd <= 2 {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			m[fd] = id(fd)
			unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC)
		}
	}
	return m
}
