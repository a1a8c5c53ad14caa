//go:build unix

package handoff

import (
	"fmt"
	"os"

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
// inherited, of the kind wanted, and marks it close-on-exec: the
// descriptor must be open, not close-on-exec (a Go program's own
// descriptors all are), the same as when the package was initialized, and
// of the kind wanted, which checkKind tells.
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
	flags, err := unix.FcntlInt(uintptr(c.fd), unix.F_GETFD, 0)
	switch {
	case err == unix.EBADF:
		return closedHandle, c.fail(ErrNotInherited, "no such descriptor")
	case err != nil:
		return closedHandle, c.failed(os.NewSyscallError("fcntl", err))
	case flags&unix.FD_CLOEXEC != 0:
		return closedHandle, c.fail(ErrNotInherited, "descriptor is close-on-exec: one of this process's own")
	}
	if err := unix.Fstat(c.fd, &c.st); err != nil {
		return closedHandle, c.failed(os.NewSyscallError("fstat", err))
	}
	info, err := inspect(c.fd)
	if err != nil {
		return closedHandle, c.failed(err)
	}
	if id, ok := inherited[c.fd]; !ok || id != info.id(&c.st) {
		return closedHandle, c.fail(ErrNotInherited, "descriptor was not open when this process started: one of its own")
	}
	h, err := checkKind(c, &info)
	if err != nil {
		return closedHandle, err
	}
	if _, err := unix.FcntlInt(uintptr(c.fd), unix.F_SETFD, flags|unix.FD_CLOEXEC); err != nil {
		return closedHandle, c.failed(os.NewSyscallError("fcntl", err))
	}
	return h, nil
}

// inheritedAtStart makes the record that each backend keeps in its
// variable inherited, at package init: the descriptors among fds that are
// open and not close-on-exec then, before the program's own code could make
// any, each with what id says it refers to. Close-on-exec and the type alone
// do not prove a descriptor inherited: the program may have made an eventfd
// or a pipe without close-on-exec, or closed the inherited one and reused
// its number.
func inheritedAtStart(fds []int, id func(fd int) fdID) map[int]fdID {
	m := make(map[int]fdID)
	for _, fd := range fds {
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			m[fd] = id(fd)
		}
	}
	return m
}
