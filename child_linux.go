//go:build linux && !handoff_pipe

package handoff

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// checkKind is the Linux backend's per-kind check of c, whose fdinfo is
// info. The link's target, another /proc lookup, is read only where the
// kind needs it, or to name what a descriptor is when it is not what was
// wanted.
func checkKind(c *candidate, info *fdInfo) (sysHandle, error) {
	target := func() string {
		t, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(c.fd))
		if err != nil {
			return "unknown (" + err.Error() + ")"
		}
		return t
	}
	switch c.want {
	case kindEvent, kindReady, kindSemaphore:
		if !info.eventfd {
			return closedHandle, c.fail(ErrWrongType, "descriptor is %s, want an eventfd", target())
		}
		// Kernels since 6.5 show EFD_SEMAPHORE in fdinfo; on older ones an
		// event and a semaphore cannot be told apart.
		switch {
		case c.want == kindSemaphore && info.semaphore == "0":
			return closedHandle, c.fail(ErrWrongType, "descriptor is an eventfd in event mode, want one in semaphore mode (EFD_SEMAPHORE)")
		case c.want != kindSemaphore && info.semaphore == "1":
			return closedHandle, c.fail(ErrWrongType, "descriptor is an eventfd in semaphore mode (EFD_SEMAPHORE), want an event")
		}
	case kindMemory:
		if t := target(); !strings.HasPrefix(t, "/memfd:") {
			return closedHandle, c.fail(ErrWrongType, "descriptor is %s, want a memfd", t)
		}
		seals, err := unix.FcntlInt(uintptr(c.fd), unix.F_GET_SEALS, 0)
		if err != nil {
			return closedHandle, c.failed(os.NewSyscallError("fcntl", err))
		}
		if seals&memorySeals != memorySeals {
			return closedHandle, c.fail(ErrWrongType, "memfd's size is not sealed (seals %#x): not one of handoff's", seals)
		}
	case kindFile:
		if t := target(); strings.HasPrefix(t, "anon_inode:") || strings.HasPrefix(t, "pidfd:") {
			return closedHandle, c.fail(ErrWrongType, "descriptor is %s, want a file", t)
		}
	case kindLifeline:
		if info.pid == "" {
			return closedHandle, c.fail(ErrWrongType, "descriptor is %s, want a pidfd", target())
		}
		pid, err := strconv.Atoi(info.pid)
		if err != nil {
			return closedHandle, c.failed(fmt.Errorf("fdinfo Pid %q: %w", info.pid, err))
		}
		if ppid := os.Getppid(); pid != ppid {
			return closedHandle, c.fail(ErrParentGone, "pidfd names pid %d, parent is %d", pid, ppid)
		}
	}
	return sysHandle{c.fd}, nil
}

// fdInfo is what /proc/self/fdinfo tells of a descriptor that
// openInherited needs. One read of it tells an eventfd's or a pidfd's kind
// and identity.
type fdInfo struct {
	eventfd   bool   // an eventfd: fdinfo has eventfd-count
	eventfdID string // its eventfd-id line, "" on kernels that have none
	semaphore string // eventfd-semaphore: "1", "0", or "" before Linux 6.5
	pid       string // a pidfd's Pid: its process, -1 once it has exited
}

// inspect returns what openInherited reads of fd beyond fstat: its fdinfo.
func inspect(fd int) (fdInfo, error) { return readFdinfo(fd) }

// readFdinfo reads and parses /proc/self/fdinfo/fd.
func readFdinfo(fd int) (fdInfo, error) {
	var info fdInfo
	b, err := readProc("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return info, err
	}
	for line := range strings.Lines(string(b)) {
		key, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch key {
		case "eventfd-count":
			info.eventfd = true
		case "eventfd-id":
			info.eventfdID = v
		case "eventfd-semaphore":
			info.semaphore = v
		case "Pid":
			info.pid = v
		}
	}
	return info, nil
}

// inherited is the record of inheritedAtStart, from /proc/self/fd, made at
// package init (it costs a few microseconds in a process that holds only
// its standard descriptors: BenchmarkInheritedAtStart). A reused number
// still passes on kernels whose fdinfo has no eventfd-id, and on the others
// once the parent has closed its copy of the event too: the kernel then
// gives the lowest free id, which may be the same, to the next eventfd.
// Without /proc no record can be made, and every open fails saying so.
var inherited = recordInherited(procSelfFds())

// recordInherited makes the record from fds, the list of /proc/self/fd,
// or, if err says it could not be read, keeps why in record.err.
func recordInherited(fds []int, err error) map[int]fdID {
	if err != nil {
		record.err = fmt.Errorf("cannot tell inherited descriptors without /proc (is it mounted?): %w", err)
		// Still, no descriptor this process inherited goes on to its
		// children unless handed over.
		unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
		return map[int]fdID{}
	}
	return inheritedAtStart(fds, identify)
}

// fdID identifies what a descriptor refers to: its inode and, for an eventfd,
// whose inode all eventfds share, the eventfd-id of /proc/self/fdinfo.
type fdID struct {
	dev, ino uint64
	id       string
	anon     bool // an anonymous inode (no file type), shared by many objects
}

// id is the identity of the descriptor whose fdinfo this is and whose fstat
// is st.
func (info *fdInfo) id(st *unix.Stat_t) fdID {
	return fdID{dev: st.Dev, ino: st.Ino, id: info.eventfdID, anon: st.Mode&unix.S_IFMT == 0}
}

// distinct reports whether id tells its object from every other: not an
// anonymous inode without an eventfd-id, which every eventfd shares on
// kernels without the line, and every pidfd before Linux 6.9.
func (id fdID) distinct() bool { return !id.anon || id.id != "" }

// identify returns what fd refers to, the zero fdID if it is not open. Only
// a file with no type, as anonymous inodes such as an eventfd's have, or a
// regular one can be an eventfd; a directory, device, pipe, socket or link is
// told by its inode alone, without reading its fdinfo.
func identify(fd int) fdID {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return fdID{}
	}
	var info fdInfo
	if t := st.Mode & unix.S_IFMT; t == 0 || t == unix.S_IFREG {
		info, _ = readFdinfo(fd)
	}
	return info.id(&st)
}

// procSelfFds lists the descriptors of /proc/self/fd.
func procSelfFds() ([]int, error) {
	names, err := readProcDir("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, name := range names {
		if fd, err := strconv.Atoi(name); err == nil {
			fds = append(fds, fd)
		}
	}
	return fds, nil
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
// readProc reads a file.
func readProcDir(path string) ([]string, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var names []string
	buf := make([]byte, 4096)
	for {
		n, err := unix.ReadDirent(fd, buf)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, &os.PathError{Op: "readdirent", Path: path, Err: err}
		case n <= 0:
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}

// openDescriptorList returns the descriptors open in this process, for
// closeUnpassed: those of /proc/self/fd, or, without /proc, those below
// 1024 that fcntl finds open.
func openDescriptorList() []int {
	if fds, err := procSelfFds(); err == nil {
		return fds
	}
	var fds []int
	for fd := 0; fd < 1024; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			fds = append(fds, fd)
		}
	}
	return fds
}
