//go:build (unix && !linux) || (linux && handoff_pipe)

package handoff

import (
	"context"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"
)

// sysLaunch holds the descriptors that Start makes for the child, and this
// process's end of the lifeline for as long as the child runs.
type sysLaunch struct {
	files     []*os.File
	give      []*sysHandle // handles whose fd goes to the child alone
	parent    int          // this process's end of the lifeline socket pair
	hasParent bool         // whether parent is open
}

// prepare appends close-on-exec duplicates of the handles' descriptors (an
// event's read end), and one end of a new Unix socket pair if lifeline is
// set, to cmd.ExtraFiles; the child gets them without close-on-exec at 3 +
// their index. This process keeps the other end of the pair, close-on-exec,
// until close: the child's end reports end of file when this process dies,
// and the kernel tells the child the pair was made by its parent.
func (l *sysLaunch) prepare(cmd *exec.Cmd, handles []*sysHandle, lifeline bool) ([]uintptr, error) {
	var values []uintptr
	for _, h := range handles {
		fd, err := dupCloseOnExec(h.fd)
		if err != nil {
			l.release()
			return nil, err
		}
		values = append(values, l.pass(cmd, fd))
		if h.give {
			l.give = append(l.give, h)
		}
	}
	if lifeline {
		p, err := newSocketpair()
		if err != nil {
			l.release()
			return nil, err
		}
		l.parent, l.hasParent = p[0], true
		values = append(values, l.pass(cmd, p[1]))
	}
	return values, nil
}

// dupCloseOnExec returns a close-on-exec duplicate of fd, made with
// closeOnExecLocked (AIX has no F_DUPFD_CLOEXEC).
func dupCloseOnExec(fd int) (int, error) {
	nfd, err := closeOnExecLocked(func() ([]int, error) {
		nfd, err := unix.Dup(fd)
		return []int{nfd}, err
	})
	if err != nil {
		return -1, os.NewSyscallError("dup", err)
	}
	return nfd[0], nil
}

// newSocketpair returns a connected pair of Unix stream sockets, both
// close-on-exec, made with closeOnExecLocked.
func newSocketpair() ([2]int, error) {
	var p [2]int
	_, err := closeOnExecLocked(func() (_ []int, err error) {
		p, err = unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		return p[:], err
	})
	if err != nil {
		return [2]int{-1, -1}, os.NewSyscallError("socketpair", err)
	}
	return p, nil
}

// start starts cmd, which gets the descriptors of cmd.ExtraFiles and no
// other of this process's (see the package documentation), then closes this
// process's copies of what goes to the child alone.
//
// There is no parent-death signal on macOS and the BSDs: a child learns that
// its parent died from the lifeline, if it waits on it; one that does not is
// not killed.
func (l *sysLaunch) start(cmd *exec.Cmd) error {
	defer l.release()
	closeUnpassed(cmd)
	if err := cmd.Start(); err != nil {
		l.close()
		return err
	}
	for _, h := range l.give {
		unix.Close(h.fd)
		h.fd = -1
	}
	l.give = nil
	return nil
}

// waitReady waits for the ready object's read end: the child writes a byte
// there, or its write end, which the child alone holds, closes when the
// child exits first, which the read end reports as end of file. A process
// that the child passed the write end on to (a child started while the
// descriptor was still inheritable) would hold it open too.
func (l *sysLaunch) waitReady(ctx context.Context, ready *sysHandle, cmd *exec.Cmd) error {
	return waitReadyOrExit(ctx, ready, nil, cmd.Process.Pid)
}

// close closes this process's end of the lifeline, once the child has
// exited.
func (l *sysLaunch) close() error {
	if !l.hasParent {
		return nil
	}
	l.hasParent = false
	return os.NewSyscallError("close", unix.Close(l.parent))
}
