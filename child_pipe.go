//go:build (unix && !linux) || (linux && handoff_pipe)

package handoff

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// checkKind is the pipe backend's per-kind check of c, whose file status
// flags are in info.
//
// What the kernel lets a child check: that the descriptor was open and not
// close-on-exec when the package was initialized, and is the same file
// (fstat's device, inode and type) now (see openInherited and inherited); its file
// type (fstat) and access mode (F_GETFL); for a socket, its type and the
// process at its other end. The kinds are made to
// differ in exactly these: an event is the read end of a pipe (a FIFO open
// read-only), a ready object the write end, a semaphore a FIFO open for
// reading and writing, the lifeline a Unix stream socket whose peer is the
// parent, shared memory what isSharedMemory recognizes. Standard input,
// output and error are never handed over (a Handoff passes handles from 3
// up), so they are refused: stdout, the write end of a pipe, would pass for
// a ready object.
//
// What the kernel cannot tell: a pipe of handoff's from any other pipe with
// the same access mode (so a file passed with File that is a pipe's read end
// passes for an event, and an event's value passes OpenFile); an unlinked
// regular file from shared memory; that the parent is the only holder of the
// event's write end or of its end of the lifeline; and a reused number where
// pipes have no inode of their own (OpenBSD, DragonFly) or one that recurs
// (macOS hashes the pipe's address).
func checkKind(c *candidate, info *fdInfo) (sysHandle, error) {
	got := describe(&c.st, info.status)
	fifo := c.st.Mode&unix.S_IFMT == unix.S_IFIFO
	mode := info.status & unix.O_ACCMODE
	h := sysHandle{fd: c.fd, r: -1, w: -1}
	switch c.want {
	case kindEvent:
		if !fifo || mode != unix.O_RDONLY {
			return closedHandle, c.fail(ErrWrongType, "descriptor is %s, want the read end of a pipe (an event)", got)
		}
		h.r = c.fd
	case kindReady:
		if !fifo || mode != unix.O_WRONLY {
			return closedHandle, c.fail(ErrWrongType, "descriptor is %s, want the write end of a pipe (a ready object)", got)
		}
		h.w = c.fd
	case kindSemaphore:
		if !fifo || mode != unix.O_RDWR {
			return closedHandle, c.fail(ErrWrongType, "descriptor is %s, want a FIFO open for reading and writing (a semaphore)", got)
		}
		h.r, h.w = c.fd, c.fd
	case kindMemory:
		if !isSharedMemory(&c.st) {
			return closedHandle, c.fail(ErrWrongType, "descriptor is %s, want shared memory", got)
		}
	case kindFile:
		// Any file: a pipe end, a regular file, a socket. The kernel
		// cannot tell a file passed as one from any other descriptor.
	case kindLifeline:
		if err := checkPeer(c, got); err != nil {
			return closedHandle, err
		}
		h.r = c.fd
	}
	// Reset, Acquire and Release count on EAGAIN, and POSIX has no other
	// way to read or write a pipe without blocking than O_NONBLOCK, which
	// belongs to the open file: a handoff parent's pipes have it already;
	// one from another parent gets it (see the package documentation).
	if fifo && c.want != kindFile && info.status&unix.O_NONBLOCK == 0 {
		if err := unix.SetNonblock(c.fd, true); err != nil {
			return closedHandle, c.failed(os.NewSyscallError("fcntl", err))
		}
	}
	return h, nil
}

// checkPeer checks that c, described as got, is a Unix stream socket whose
// peer is this process's parent: a lifeline.
func checkPeer(c *candidate, got string) error {
	if c.st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return c.fail(ErrWrongType, "descriptor is %s, want a Unix stream socket", got)
	}
	if typ, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_STREAM {
		return c.fail(ErrWrongType, "descriptor is a socket of type %d, want a Unix stream socket", typ)
	}
	if sa, err := unix.Getsockname(c.fd); err != nil {
		return c.failed(os.NewSyscallError("getsockname", err))
	} else if _, ok := sa.(*unix.SockaddrUnix); !ok {
		return c.fail(ErrWrongType, "descriptor is a socket of address %T, want a Unix stream socket", sa)
	}
	pid, err := peerPid(c.fd)
	if err != nil {
		return c.failed(err)
	}
	if ppid := os.Getppid(); pid != ppid {
		return c.fail(ErrParentGone, "socket's peer is pid %d, parent is %d", pid, ppid)
	}
	return nil
}

// fdInfo is what openInherited reads of a descriptor beyond fstat: its file
// status flags (F_GETFL), whose access mode tells a pipe's ends apart.
type fdInfo struct {
	status int
}

// inspect reads fd's file status flags.
func inspect(fd int) (fdInfo, error) {
	status, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return fdInfo{}, os.NewSyscallError("fcntl", err)
	}
	return fdInfo{status: status}, nil
}

// id is the identity of the descriptor whose fstat is st.
func (info *fdInfo) id(st *unix.Stat_t) fdID { return identify(st) }

// describe names what a descriptor is, for errors: its file type and, for a
// pipe, its access mode and the kind of object that has it.
func describe(st *unix.Stat_t, status int) string {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO:
		switch status & unix.O_ACCMODE {
		case unix.O_RDONLY:
			return "the read end of a pipe, like an event"
		case unix.O_WRONLY:
			return "the write end of a pipe, like a ready object"
		}
		return "a FIFO open for reading and writing, like a semaphore"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFREG:
		if isSharedMemory(st) {
			return "shared memory"
		}
		return "a regular file"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFDIR:
		return "a directory"
	}
	if isSharedMemory(st) {
		return "shared memory"
	}
	return fmt.Sprintf("a file of mode %#o", st.Mode)
}

// inherited is the record of inheritedAtStart, from /dev/fd or by fcntl up
// to inheritedScanMax (see openDescriptors).
var inherited = inheritedAtStart(openDescriptors(inheritedScanMax), identifyFd)

// fdID identifies what a descriptor refers to: fstat's device and inode (a
// pipe or socket has an inode of its own) and file type.
type fdID struct {
	dev, ino uint64
	mode     uint32
}

func identify(st *unix.Stat_t) fdID {
	return fdID{dev: uint64(st.Dev), ino: uint64(st.Ino), mode: uint32(st.Mode) & unix.S_IFMT}
}

// distinct reports whether id tells its object from every other: it has an
// inode number (OpenBSD's and DragonFly's pipes have none).
func (id fdID) distinct() bool { return id.ino != 0 }

// inheritedScanMax bounds the descriptors that inheritedAtStart looks at
// one by one where it cannot list them (see openDescriptors): a fresh
// process holds few, numbered from 0 up, and a Handoff passes its handles
// from 3 up. A descriptor above it is not recorded, so it is refused as not
// inherited: the bound can refuse a value, never accept a wrong one.
const inheritedScanMax = 1024

// identifyFd returns what fd refers to, the zero fdID if it is not open.
func identifyFd(fd int) fdID {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return fdID{}
	}
	return identify(&st)
}

// openDescriptors returns the descriptors open in this process. Where
// /dev/fd lists them (macOS, FreeBSD with fdescfs mounted, Linux) it reads
// that directory, as CPython's subprocess does; elsewhere it asks fcntl
// about each number below the soft RLIMIT_NOFILE, or below max if that is
// lower and max > 0. The kernel allocates no descriptor at or above the soft
// limit while it is in force (Go raises it to the hard limit at start); one
// opened before the limit was lowered is missed.
func openDescriptors(max int) []int {
	if fds, ok := listDevFD(); ok {
		return fds
	}
	return scanDescriptors(max)
}

// listDevFD lists /dev/fd, if it lists this process's open descriptors.
func listDevFD() ([]int, bool) {
	if !devFDLists() {
		return nil, false
	}
	d, err := os.Open("/dev/fd")
	if err != nil {
		return nil, false
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil || len(names) == 0 {
		return nil, false
	}
	own := int(d.Fd())
	var fds []int
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil {
			return nil, false
		}
		if fd != own {
			fds = append(fds, fd)
		}
	}
	return fds, true
}

// devFDLists reports whether /dev/fd lists this process's descriptors
// rather than being a few fixed device nodes, as it is on FreeBSD without
// fdescfs: it does if it is a file system of its own (fdescfs, or on Linux a
// link into procfs); on macOS it always does.
func devFDLists() bool {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return true
	}
	var dev, fd unix.Stat_t
	if unix.Stat("/dev", &dev) != nil || unix.Stat("/dev/fd", &fd) != nil {
		return false
	}
	return fd.Dev != dev.Dev && fd.Mode&unix.S_IFMT == unix.S_IFDIR
}

// scanDescriptors asks fcntl about every number below the soft
// RLIMIT_NOFILE (below max, if max > 0 and lower).
func scanDescriptors(max int) []int {
	limit := 1 << 20
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && uint64(rl.Cur) < uint64(limit) {
		limit = int(rl.Cur)
	}
	if max > 0 && max < limit {
		limit = max
	}
	var fds []int
	for fd := 0; fd < limit; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			fds = append(fds, fd)
		}
	}
	return fds
}

// openDescriptorList returns the descriptors open in this process, for
// closeUnpassed; where they cannot be listed, those below inheritedScanMax.
func openDescriptorList() []int { return openDescriptors(inheritedScanMax) }
