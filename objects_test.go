//go:build linux || windows

package handoff

// What a child does with the objects it got, beyond opening them: take a
// semaphore's count without waiting, and see shared memory of the size the
// parent made.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
)

func init() {
	registerHelper("objects-child", helperObjectsChild)
}

// objectsReport is what an "objects-child" saw.
type objectsReport struct {
	Tries []bool         `json:"tries"` // three TryAcquires of "sem"
	Sizes map[string]int `json:"sizes"` // len(Bytes()) of each shared memory
	Fatal string         `json:"fatal,omitempty"`
}

// helperObjectsChild tries the semaphore "sem" three times and maps the
// shared memory "one" and "odd", and prints what it saw.
func helperObjectsChild(args []string) {
	r := objectsReport{Sizes: map[string]int{}}
	defer func() { json.NewEncoder(os.Stdout).Encode(r) }()
	hs, err := ParseHandles(args[0])
	if err != nil {
		r.Fatal = err.Error()
		return
	}
	sem, err := hs.Semaphore("sem")
	if err != nil {
		r.Fatal = err.Error()
		return
	}
	for range 3 {
		ok, err := sem.TryAcquire()
		if err != nil {
			r.Fatal = err.Error()
			return
		}
		r.Tries = append(r.Tries, ok)
	}
	for _, name := range []string{"one", "odd"} {
		m, err := hs.SharedMemory(name)
		if err != nil {
			r.Fatal = err.Error()
			return
		}
		r.Sizes[name] = len(m.Bytes())
	}
}

// TestTryAcquire: TryAcquire takes a count while there is one, in the
// parent and in a child alike, and never waits.
func TestTryAcquire(t *testing.T) {
	sem, err := NewSemaphore(3)
	if err != nil {
		t.Fatal(err)
	}
	defer sem.Close()
	if ok, err := sem.TryAcquire(); !ok || err != nil {
		t.Fatalf("TryAcquire of a count of 3 = %v, %v, want true", ok, err)
	}
	r := runObjectsChild(t, sem)
	if want := []bool{true, true, false}; !slices.Equal(r.Tries, want) {
		t.Errorf("the child's TryAcquires of a count of 2 = %v, want %v", r.Tries, want)
	}
	if ok, err := sem.TryAcquire(); ok || err != nil {
		t.Errorf("TryAcquire of a count of 0 = %v, %v, want false", ok, err)
	}
	if err := sem.Release(1); err != nil {
		t.Fatal(err)
	}
	if ok, err := sem.TryAcquire(); !ok || err != nil {
		t.Errorf("TryAcquire after Release(1) = %v, %v, want true", ok, err)
	}
}

// TestSharedMemorySize: a child's len(Bytes()) is the size the parent
// created the memory with, to the byte, on every platform.
func TestSharedMemorySize(t *testing.T) {
	sem, err := NewSemaphore(0)
	if err != nil {
		t.Fatal(err)
	}
	defer sem.Close()
	r := runObjectsChild(t, sem)
	if want := map[string]int{"one": 1, "odd": 4097}; fmt.Sprint(r.Sizes) != fmt.Sprint(want) {
		t.Errorf("the child's len(Bytes()) = %v, want %v", r.Sizes, want)
	}
}

// runObjectsChild runs an "objects-child" passed sem and shared memory of 1
// and 4097 bytes, and returns its report.
func runObjectsChild(t *testing.T, sem *Semaphore) objectsReport {
	t.Helper()
	cmd := exec.Command(os.Args[0], "{handles}")
	cmd.Env = testEnv(t)("objects-child")
	cmd.Stderr = os.Stderr
	h := Command(cmd)
	h.Pass("sem", sem)
	for name, size := range map[string]int{"one": 1, "odd": 4097} {
		m, err := NewSharedMemory(size)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		h.Pass(name, m)
	}
	var out syncBuffer
	cmd.Stdout = &out
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	if err := h.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	var r objectsReport
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil || r.Fatal != "" {
		t.Fatalf("child printed %q: %v %s", out.String(), err, r.Fatal)
	}
	return r
}
