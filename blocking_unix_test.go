//go:build unix

package handoff

// What is handed over is in blocking mode in the child, as ExtraFiles gives
// it: a child that reads with a plain read(2) waits instead of failing with
// EAGAIN.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPassedPipeBlocks: a pipe's read end passed with File, which Go made
// non-blocking, is read by cat, as a shell script would: cat waits for the
// parent's bytes instead of failing with "Resource temporarily
// unavailable". The parent writes only once cat sleeps in its read.
func TestPassedPipeBlocks(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var out, errOut bytes.Buffer
	cmd := exec.Command(sh, "-c", "exec cat <&{in}")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	h := Command(cmd)
	h.Pass("in", File(r))
	if err := h.Start(); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	waitAsleep(t, cmd.Process.Pid, "cat")
	fmt.Fprint(w, "hello")
	w.Close()
	if err := h.Wait(); err != nil || out.String() != "hello" {
		t.Errorf("sh -c 'exec cat <&N' on a passed pipe: %v, stdout %q, stderr %q; want hello", err, out.String(), errOut.String())
	}
}

// waitAsleep waits until process pid runs comm and sleeps (state S, as in a
// blocking read), or has exited.
func waitAsleep(t *testing.T, pid int, comm string) {
	t.Helper()
	for {
		c, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil {
			t.Fatalf("/proc/%d/comm: %v", pid, err)
		}
		switch procState(pid) {
		case "S", "D":
			if strings.TrimSpace(string(c)) == comm {
				return
			}
		case "", "Z", "X":
			return
		}
	}
}
