package handoff

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

func init() {
	registerHelper("job-child", helperJobChild, "sleep-hour")
	registerHelper("sleep-hour", func([]string) { time.Sleep(time.Hour) })
}

// killedState reports whether ps is that of a child that Kill ended: on
// Windows, exit code 1, as TerminateJobObject and os.Process.Kill give it.
func killedState(ps *os.ProcessState) bool {
	return ps != nil && ps.ExitCode() == 1
}

// helperJobChild starts a grandchild that sleeps an hour, prints its pid,
// and sleeps an hour itself.
func helperJobChild([]string) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = helperEnv("sleep-hour")
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(cmd.Process.Pid)
	time.Sleep(time.Hour)
}

// TestKillEndsJob: on Windows, Kill also ends what the child started, in
// its job, before Wait closes the job.
func TestKillEndsJob(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = helperEnv("job-child")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := Command(cmd)
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	defer h.Wait()
	line, err := bufio.NewReader(out).ReadString('\n')
	pid, perr := strconv.Atoi(line[:max(len(line)-1, 0)])
	if err != nil || perr != nil {
		h.Kill()
		t.Fatalf("reading the grandchild's pid: %q, %v, %v", line, err, perr)
	}
	grandchild, err := windows.OpenProcess(windows.SYNCHRONIZE, false, uint32(pid))
	if err != nil {
		h.Kill()
		t.Fatalf("OpenProcess(grandchild %d): %v", pid, err)
	}
	defer windows.CloseHandle(grandchild)
	if err := h.Kill(); err != nil {
		t.Fatalf("Kill = %v", err)
	}
	// A bound, not a measure: the grandchild is ended at once, or lives an
	// hour.
	switch ev, err := windows.WaitForSingleObject(grandchild, uint32(time.Minute/time.Millisecond)); ev {
	case windows.WAIT_OBJECT_0:
	case uint32(windows.WAIT_TIMEOUT):
		t.Errorf("the grandchild %d still runs a minute after Kill", pid)
	default:
		t.Errorf("WaitForSingleObject(grandchild) = %#x, %v", ev, err)
	}
}
