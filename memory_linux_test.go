//go:build linux && !handoff_pipe

package handoff

// Shared memory where the system forbids executable memfds.

import (
	"encoding/json"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	registerHelper("noexec-shm", helperNoexecShm)
}

// helperNoexecShm, the first process of a PID namespace of its own, sets
// vm.memfd_noexec to 2 there (memfd_create then refuses a memfd that could
// be made executable) and makes shared memory, as a program does.
func helperNoexecShm([]string) {
	var r struct{ Sysctl, Err string }
	if err := os.WriteFile("/proc/sys/vm/memfd_noexec", []byte("2"), 0); err != nil {
		r.Sysctl = err.Error()
	} else if m, err := NewSharedMemory(64); err != nil {
		r.Err = err.Error()
	} else {
		m.Close()
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

// TestSharedMemoryNoexec: shared memory is made with MFD_NOEXEC_SEAL where
// the kernel has it (6.3): its memfd is sealed against execution. And
// NewSharedMemory works where vm.memfd_noexec=2 (set in a PID namespace of
// the test's own, where the setting lives), which Linux 6.3 to 6.6 enforce
// by refusing a memfd made without the flag.
func TestSharedMemoryNoexec(t *testing.T) {
	m, err := NewSharedMemory(64)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	probe, err := unix.MemfdCreate("probe", unix.MFD_CLOEXEC|unix.MFD_NOEXEC_SEAL)
	if err == nil {
		unix.Close(probe)
		seals, err := unix.FcntlInt(m.Handle(), unix.F_GET_SEALS, 0)
		if err != nil {
			t.Fatal(err)
		}
		if seals&unix.F_SEAL_EXEC == 0 {
			t.Errorf("shared memory's seals are %#x, want F_SEAL_EXEC: made without MFD_NOEXEC_SEAL", seals)
		}
	} else {
		t.Logf("this kernel has no MFD_NOEXEC_SEAL (%v): shared memory is made without it", err)
	}

	cmd := exec.Command(os.Args[0])
	cmd.Env = helperEnv("noexec-shm")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("a PID namespace of its own (needs root or CAP_SYS_ADMIN): %v", err)
	}
	var r struct{ Sysctl, Err string }
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("child's report %q: %v", out, err)
	}
	if r.Sysctl != "" {
		t.Skipf("vm.memfd_noexec cannot be set here (Linux 6.3 or later): %s", r.Sysctl)
	}
	if r.Err != "" {
		t.Errorf("NewSharedMemory with vm.memfd_noexec=2: %s", r.Err)
	}
}
