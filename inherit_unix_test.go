//go:build unix

package handoff

// What a process inherited, on Linux and the pipe backend: marked
// close-on-exec by the record made at init, so that no child gets it unless
// it is handed over again, and a program that passes it on by re-exec does
// so through ExtraFiles.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	registerHelper("reexec-middle", helperReexecMiddle, "reexec-child")
	registerHelper("reexec-child", helperReexecChild)
}

// cloexecFlag reports whether fd is open and close-on-exec.
func cloexecFlag(fd int) bool {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil && flags&unix.FD_CLOEXEC != 0
}

// fdIdentities lists the device and inode of every descriptor of this
// process, as "fd dev:ino".
func fdIdentities() []string {
	var out []string
	for fd := 0; fd < 1024; fd++ {
		if dev, ino := fstatID(fd); dev != 0 || ino != 0 {
			out = append(out, fmt.Sprintf("%d %d:%d", fd, dev, ino))
		}
	}
	return out
}

// helperReexecMiddle got a pipe at descriptor 3, from a plain ExtraFiles,
// no Handoff. It starts reexec-child twice: as other code of the program
// would, with no ExtraFiles, then as a program that passes what it
// inherited on to its new self does, with the descriptor in ExtraFiles.
func helperReexecMiddle([]string) {
	for _, extra := range [][]*os.File{nil, {os.NewFile(3, "inherited")}} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = helperEnv(helperArg("reexec-child"))
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.ExtraFiles = extra
		if err := cmd.Run(); err != nil {
			fmt.Printf("error: %v\n", err)
		}
	}
}

// helperReexecChild reports every descriptor it holds, on one line.
func helperReexecChild([]string) {
	fmt.Println(strings.Join(fdIdentities(), ","))
}

// fstatID returns the device and inode of fd, zeros if it is not open.
func fstatID(fd int) (dev, ino uint64) {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return 0, 0
	}
	return uint64(st.Dev), uint64(st.Ino)
}

// TestInheritedStaysHome: a descriptor that a process inherited, and that no
// one handed to handoff, reaches no child it starts with os/exec, though
// nothing in the program made it close-on-exec: the record made at init
// did; and a program that passes it on by re-exec does so with ExtraFiles,
// which the close-on-exec mark does not stop.
func TestInheritedStaysHome(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	dev, ino := fstatID(int(w.Fd()))
	pipe := fmt.Sprintf("%d:%d", dev, ino)
	cmd := exec.Command(os.Args[0])
	cmd.Env = testEnv(t)("reexec-middle")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for s := bufio.NewScanner(out); s.Scan(); {
		lines = append(lines, s.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("middle: %v", err)
	}
	if len(lines) != 2 {
		t.Fatalf("middle's children reported %q, want two lines", lines)
	}
	holds := func(line string) string {
		for _, e := range strings.Split(line, ",") {
			if strings.HasSuffix(e, " "+pipe) {
				return e
			}
		}
		return ""
	}
	if e := holds(lines[0]); e != "" {
		t.Errorf("a child started without ExtraFiles holds what its parent inherited, as %q", e)
	}
	if e := holds(lines[1]); !strings.HasPrefix(e, "3 ") {
		t.Errorf("a child started with the inherited descriptor in ExtraFiles holds %q of it, want it at 3 (children's descriptors %q)", e, lines[1])
	}
}
