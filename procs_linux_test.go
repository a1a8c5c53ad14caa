//go:build linux && !handoff_pipe

package handoff

// Process bookkeeping for the Linux tests that start helper processes:
// tokens that mark every process a test starts, the processes left behind,
// pidfds, kcmp, the subreaper and its adopted children, and the line
// readers of the helpers' output.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// --- processes left behind ---------------------------------------------------

const tokenVar = "HANDOFF_TEST_TOKEN"

// newToken returns a random token for HANDOFF_TEST_TOKEN, and fails t at its
// end if a process with a token starting with it is still running (then
// kills it).
func newToken(t *testing.T) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if left := leftovers(token); len(left) > 0 {
			t.Errorf("processes left running at the end of the test: %s", left)
			killAll(left)
		}
	})
	return token
}

// tokenEnv is helperEnv with HANDOFF_TEST_TOKEN=token.
func tokenEnv(token, helper string, more ...string) []string {
	return helperEnv(helper, append([]string{tokenVar + "=" + token}, more...)...)
}

// proc is a process found by leftovers.
type proc struct {
	pid  int
	stat string // comm and state, from /proc/<pid>/stat
}

func (p proc) String() string { return fmt.Sprintf("%d %s", p.pid, p.stat) }

// leftovers returns the processes other than this one whose environment has
// HANDOFF_TEST_TOKEN set to token, or to token followed by a '.' and more.
// A zombie has no environment any more: it is not running.
func leftovers(token string) []proc {
	entries, _ := os.ReadDir("/proc")
	var found []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			continue // gone, or not ours to read
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			v, ok := bytes.CutPrefix(kv, []byte(tokenVar+"="))
			if ok && (string(v) == token || bytes.HasPrefix(v, []byte(token+"."))) {
				stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
				found = append(found, proc{pid, strings.TrimSpace(statFields(string(stat)))})
				break
			}
		}
	}
	return found
}

// statFields returns the "(comm) state" part of a /proc/<pid>/stat line.
func statFields(stat string) string {
	_, rest, _ := strings.Cut(stat, " ")
	if i := strings.LastIndexByte(rest, ')'); i >= 0 && i+3 <= len(rest) {
		return rest[:i+3]
	}
	return rest
}

func killAll(procs []proc) {
	for _, p := range procs {
		unix.Kill(p.pid, unix.SIGKILL)
	}
}

// --- pidfds, kcmp, subreaper -------------------------------------------------

// pidfdOpen returns a pidfd of pid, closed at the end of the test.
func pidfdOpen(t *testing.T, pid int) (int, error) {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, fmt.Errorf("pidfd_open(%d): %w", pid, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd, nil
}

// waitGone waits up to limit for the process of pidfd to exit, and returns
// CLOCK_MONOTONIC when it saw it gone.
func waitGone(pidfd int, limit time.Duration) (at int64, gone bool) {
	end := monotonic() + limit.Nanoseconds()
	for {
		left := (end - monotonic()) / 1e6
		if left < 0 {
			left = 0
		}
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left))
		if err == unix.EINTR {
			continue
		}
		now := monotonic()
		return now, err == nil && n == 1
	}
}

// kcmpSame reports whether fd1 of pid1 and fd2 of pid2 are the same open file
// description. A descriptor that is not open is the same as nothing.
func kcmpSame(pid1, fd1, pid2, fd2 int) (bool, error) {
	const kcmpFile = 0
	r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(pid1), uintptr(pid2), kcmpFile, uintptr(fd1), uintptr(fd2), 0)
	switch errno {
	case 0:
		return r == 0, nil
	case unix.EBADF:
		return false, nil
	}
	return false, os.NewSyscallError("kcmp", errno)
}

// beSubreaper makes this process the child subreaper of its descendants for
// the rest of the test: a grandchild whose parent dies becomes this
// process's child, so the test can read its exit status.
func beSubreaper(t *testing.T) {
	t.Helper()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatalf("prctl(PR_SET_CHILD_SUBREAPER): %v", err)
	}
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
}

// adopted returns the pids of this process's children: once the test has
// waited for its own, the grandchildren it adopted as subreaper.
func adopted() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		_, rest, _ := strings.Cut(string(stat), ") ")
		var state string
		var ppid int
		if _, err := fmt.Sscan(rest, &state, &ppid); err == nil && ppid == os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// neverExeced reports whether process pid (running or a zombie) was forked
// and never called exec: PF_FORKNOEXEC in the flags of /proc/<pid>/stat.
func neverExeced(pid int) bool {
	const pfForkNoExec = 0x40
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	f := strings.Fields(rest) // from the state, field 3
	if len(f) < 7 {
		return false
	}
	flags, err := strconv.ParseUint(f[6], 10, 64)
	return err == nil && flags&pfForkNoExec != 0
}

// reap waits for the exit status of pid, an adopted child that has exited.
func reap(pid int) (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return ws, fmt.Errorf("wait4(%d): %w", pid, err)
		}
		return ws, nil
	}
}

// --- lines from the helpers --------------------------------------------------

// lines reads the lines a helper process tree writes to one pipe.
type lines struct {
	r      *os.File
	ch     chan string
	seen   []string // every line read
	unread []string // lines read but not yet returned by expect
}

// readLines reads r, the read end of a pipe, until EOF or Close.
func readLines(r *os.File) *lines {
	l := &lines{r: r, ch: make(chan string, 64)}
	go func() {
		defer close(l.ch)
		s := bufio.NewScanner(r)
		for s.Scan() {
			l.ch <- s.Text()
		}
	}()
	return l
}

// expect returns the rest of the first line not yet returned that starts
// with prefix, waiting up to 10 s for it. The processes of a tree write to
// the pipe concurrently, so a line may arrive before one expected earlier.
func (l *lines) expect(prefix string) (string, error) {
	for i, s := range l.unread {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			l.unread = append(l.unread[:i], l.unread[i+1:]...)
			return rest, nil
		}
	}
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	for {
		select {
		case s, ok := <-l.ch:
			if !ok {
				return "", fmt.Errorf("no line %q before EOF; got %q", prefix, l.seen)
			}
			l.seen = append(l.seen, s)
			if rest, ok := strings.CutPrefix(s, prefix); ok {
				return rest, nil
			}
			l.unread = append(l.unread, s)
		case <-timer.C:
			return "", fmt.Errorf("no line %q within 10 s; got %q", prefix, l.seen)
		}
	}
}

// drain reads the remaining lines until EOF, or for up to limit.
func (l *lines) drain(limit time.Duration) {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case s, ok := <-l.ch:
			if !ok {
				return
			}
			l.seen = append(l.seen, s)
		case <-timer.C:
			return
		}
	}
}

// find returns the rest of the first line seen that starts with prefix.
func (l *lines) find(prefix string) (string, bool) {
	for _, s := range l.seen {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			return rest, true
		}
	}
	return "", false
}

func (l *lines) close() { l.r.Close() }
