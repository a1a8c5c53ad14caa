//go:build linux && !handoff_pipe

package handoff

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// openInherited checks that value names a descriptor this process inherited,
// of the kind wanted, and marks it close-on-exec.
func openInherited(value string, want kind) (sysHandle, error) {
	v, err := ParseValue(value)
	if err != nil {
		return sysHandle{-1}, err
	}
	fail := func(sentinel error, format string, args ...any) (sysHandle, error) {
		return sysHandle{-1}, fmt.Errorf("handoff: %s %s: %w: %s", want, value, sentinel, fmt.Sprintf(format, args...))
	}
	if v > 1<<31-1 {
		return fail(ErrNotInherited, "no such descriptor")
	}
	fd := int(v)
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err == unix.EBADF {
		return fail(ErrNotInherited, "no such descriptor")
	}
	if err != nil {
		return sysHandle{-1}, fmt.Errorf("handoff: %s %s: %w", want, value, os.NewSyscallError("fcntl", err))
	}
	if flags&unix.FD_CLOEXEC != 0 {
		return fail(ErrNotInherited, "descriptor is close-on-exec: one of this process's own")
	}
	if id, ok := inherited[fd]; !ok || id != identify(fd) {
		return fail(ErrNotInherited, "descriptor was not open when this process started: one of its own")
	}
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return sysHandle{-1}, fmt.Errorf("handoff: %s %s: %w", want, value, err)
	}
	switch want {
	case kindEvent, kindReady, kindSemaphore:
		if target != "anon_inode:[eventfd]" {
			return fail(ErrWrongType, "descriptor is %s, want an eventfd", target)
		}
		// Kernels since 6.5 show EFD_SEMAPHORE in fdinfo; on older ones an
		// event and a semaphore cannot be told apart.
		sem, err := fdinfoField(fd, "eventfd-semaphore:")
		if err != nil {
			return sysHandle{-1}, fmt.Errorf("handoff: %s %s: %w", want, value, err)
		}
		switch {
		case want == kindSemaphore && sem == "0":
			return fail(ErrWrongType, "descriptor is an eventfd in event mode, want one in semaphore mode (EFD_SEMAPHORE)")
		case want != kindSemaphore && sem == "1":
			return fail(ErrWrongType, "descriptor is an eventfd in semaphore mode (EFD_SEMAPHORE), want an event")
		}
	case kindMemory:
		if !strings.HasPrefix(target, "/memfd:") {
			return fail(ErrWrongType, "descriptor is %s, want a memfd", target)
		}
		seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
		if err != nil {
			return sysHandle{-1}, fmt.Errorf("handoff: %s %s: %w", want, value, os.NewSyscallError("fcntl", err))
		}
		if seals&memorySeals != memorySeals {
			return fail(ErrWrongType, "memfd's size is not sealed (seals %#x): not one of handoff's", seals)
		}
	case kindFile:
		if strings.HasPrefix(target, "anon_inode:") || strings.HasPrefix(target, "pidfd:") {
			return fail(ErrWrongType, "descriptor is %s, want a file", target)
		}
	case kindLifeline:
		if target != "anon_inode:[pidfd]" && !strings.HasPrefix(target, "pidfd:") {
			return fail(ErrWrongType, "descriptor is %s, want a pidfd", target)
		}
		pid, err := pidfdPid(fd)
		if err != nil {
			return sysHandle{-1}, fmt.Errorf("handoff: %s %s: %w", want, value, err)
		}
		if ppid := os.Getppid(); pid != ppid {
			return fail(ErrParentGone, "pidfd names pid %d, parent is %d", pid, ppid)
		}
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC); err != nil {
		return sysHandle{-1}, fmt.Errorf("handoff: %s %s: %w", want, value, os.NewSyscallError("fcntl", err))
	}
	return sysHandle{fd}, nil
}

// pidfdPid returns the pid that a pidfd refers to, from its fdinfo: -1 if
// that process has exited.
func pidfdPid(fd int) (int, error) {
	v, err := fdinfoField(fd, "Pid:")
	if err != nil {
		return 0, err
	}
	if v == "" {
		return 0, fmt.Errorf("no Pid in /proc/self/fdinfo/%d", fd)
	}
	return strconv.Atoi(v)
}

// fdinfoField returns the value of the line of /proc/self/fdinfo/fd that
// starts with key, trimmed, or "" if there is none.
func fdinfoField(fd int, key string) (string, error) {
	info, err := readProc("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return "", err
	}
	s := bufio.NewScanner(bytes.NewReader(info))
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), key); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", nil
}

// inherited holds the descriptors that were open and not close-on-exec when
// this package was initialized, before the program's own code could make
// any, with what each referred to then. Close-on-exec and the type alone do
// not prove a descriptor inherited: the program may have made an eventfd
// without close-on-exec, or closed the inherited one and reused its number.
// On kernels whose fdinfo has no eventfd-id, a reused number still passes.
var inherited = inheritedAtStart()

// fdID identifies what a descriptor refers to: its inode and, for an eventfd,
// whose inode all eventfds share, the eventfd-id of /proc/self/fdinfo.
type fdID struct {
	dev, ino uint64
	id       string
}

func identify(fd int) fdID {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return fdID{}
	}
	id := fdID{dev: st.Dev, ino: st.Ino}
	info, _ := readProc("/proc/self/fdinfo/" + strconv.Itoa(fd))
	for _, line := range strings.Split(string(info), "\n") {
		if strings.HasPrefix(line, "eventfd-id:") {
			id.id = line
		}
	}
	return id
}

func inheritedAtStart() map[int]fdID {
	m := make(map[int]fdID)
	for _, name := range readProcDir("/proc/self/fd") {
		fd, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			m[fd] = identify(fd)
		}
	}
	return m
}

// readProc reads a file of /proc with plain system calls. The os package
// would register the file with the runtime's poller, and start the poller
// for it, in every process that imports this package, at init.
func readProc(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var out []byte
	buf := make([]byte, 1024)
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		case n == 0:
			return out, nil
		}
		out = append(out, buf[:n]...)
	}
}

// readProcDir lists a directory of /proc with plain system calls, as
// readProc reads a file; it returns nil if it cannot.
func readProcDir(path string) []string {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	var names []string
	buf := make([]byte, 4096)
	for {
		n, err := unix.ReadDirent(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return names
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}
