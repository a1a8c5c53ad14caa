package handoff

// One object is never opened under two values, on every backend: a parent
// that passes one event under two names (or a hand-written handles argument
// that lists one object twice) gets a child that opens the first and
// refuses the second, so that a child cannot, say, report ready into the
// event it waits on.

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func init() {
	registerHelper("open-two", helperOpenTwo)
}

// twoReport is what an "open-two" child answered to opening event "a",
// then "b".
type twoReport struct {
	A, B     string `json:",omitempty"` // the errors
	BRefused bool   // b wraps ErrNotInherited
}

// helperOpenTwo (args {handles}) opens the events a and b in turn.
func helperOpenTwo(args []string) {
	hs, err := ParseHandles(args[0])
	if err != nil {
		panic(err)
	}
	var r twoReport
	if _, err := hs.Event("a"); err != nil {
		r.A = err.Error()
	}
	_, err = hs.Event("b")
	if err != nil {
		r.B, r.BRefused = err.Error(), errors.Is(err, ErrNotInherited)
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

// TestOneObjectOneValue: the same event passed as a and b reaches the
// child under two values; the child opens a and refuses b, saying it is
// the object it opened as a.
func TestOneObjectOneValue(t *testing.T) {
	ev := testEvent(t)
	cmd := exec.Command(os.Args[0], "{handles}")
	cmd.Env = helperEnv("open-two")
	h := Command(cmd)
	h.Pass("a", ev)
	h.Pass("b", ev)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	var r twoReport
	readErr := json.NewDecoder(out).Decode(&r)
	if err := h.Wait(); err != nil {
		t.Errorf("Wait() = %v", err)
	}
	if readErr != nil {
		t.Fatalf("child's report: %v", readErr)
	}
	a, _ := h.Value("a")
	if r.A != "" || !r.BRefused || !strings.Contains(r.B, "already opened as event "+FormatValue(a)) {
		t.Errorf("child: open a = %q, open b = %q (ErrNotInherited %v); want a opened and b refused as the object opened as event %d", r.A, r.B, r.BRefused, a)
	}
}
