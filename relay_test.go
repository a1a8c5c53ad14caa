package handoff

// The relay contract, on every backend: a child that is also a parent
// (parent -> middle -> leaf) starts its own child with a Handoff before it
// opens what it inherited, then opens it; the leaf gets what the middle
// passed it and nothing the middle inherited. The leaf's handles and their
// identity come from launchPlatform (launches_*_test.go).

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

func init() {
	registerHelper("relay-middle", helperRelayMiddle, "relay-leaf")
	registerHelper("relay-leaf", helperRelayLeaf)
}

// relayReport is what the middle or the leaf of a relay reports, one JSON
// line each on the standard output they share.
type relayReport struct {
	Role    string // "middle" or "leaf"
	Pid     int
	Handles []launchHandle `json:",omitempty"` // the leaf's, before its opens
	Want    []uintptr      `json:",omitempty"` // the leaf's standard handles, event and lifeline
	Err     string         `json:",omitempty"` // the first failed step
}

// helperRelayMiddle (args {event} {parent}) starts a leaf with an event of
// its own, before it opens the event and lifeline it inherited; then opens
// them, reports, waits for its event, sets the leaf's and waits for the
// leaf.
func helperRelayMiddle(args []string) {
	r := relayReport{Role: "middle", Pid: os.Getpid()}
	enc := json.NewEncoder(os.Stdout)
	fail := func(step string, err error) {
		r.Err = step + ": " + err.Error()
		enc.Encode(r)
		os.Exit(1)
	}
	own, err := NewEvent()
	if err != nil {
		fail("NewEvent", err)
	}
	cmd := exec.Command(os.Args[0], "{event}", "{parent}")
	cmd.Env = helperEnv(helperArg("relay-leaf"))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	leaf := Command(cmd)
	leaf.Pass("event", own)
	if err := leaf.Start(); err != nil {
		fail("Start the leaf", err)
	}
	ev, err := OpenEvent(args[0])
	if err != nil {
		cmd.Process.Kill()
		fail("OpenEvent after starting the leaf", err)
	}
	parent, err := OpenLifeline(args[1])
	if err != nil {
		cmd.Process.Kill()
		fail("OpenLifeline after starting the leaf", err)
	}
	enc.Encode(r)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ev.WaitParent(ctx, parent); err != nil {
		cmd.Process.Kill()
		fail("wait", err)
	}
	own.Set()
	if err := leaf.Wait(); err != nil {
		fail("the leaf", err)
	}
}

// helperRelayLeaf (args {event} {parent}) reports its handles, opens its
// event and lifeline, and waits for the event.
func helperRelayLeaf(args []string) {
	r := relayReport{Role: "leaf", Pid: os.Getpid(), Handles: launchPlatform.handles()}
	std := launchPlatform.std()
	r.Want = append(r.Want, std[:]...)
	for _, a := range args[:2] {
		v, _ := ParseValue(a)
		r.Want = append(r.Want, v)
	}
	slices.Sort(r.Want)
	ev, err := OpenEvent(args[0])
	if err == nil {
		var parent *Lifeline
		if parent, err = OpenLifeline(args[1]); err == nil {
			json.NewEncoder(os.Stdout).Encode(r)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err = ev.WaitParent(ctx, parent)
		}
	}
	if err != nil {
		r.Err = err.Error()
		json.NewEncoder(os.Stdout).Encode(r)
		os.Exit(1)
	}
}

// TestRelay: a middle that starts its leaf before it opens what it
// inherited can still open it (Start does not touch the middle's inherited
// handles), and the leaf holds nothing of what the middle inherited.
func TestRelay(t *testing.T) {
	ev := testEvent(t)
	cmd := exec.Command(os.Args[0], "{event}", "{parent}")
	cmd.Env = testEnv(t)("relay-middle")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := Command(cmd)
	h.Pass("event", ev)
	if err := h.Start(); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	defer func() {
		ev.Set()
		if err := h.Wait(); err != nil {
			t.Errorf("middle: Wait() = %v", err)
		}
	}()
	reports := map[string]relayReport{}
	s := bufio.NewScanner(out)
	for len(reports) < 2 && s.Scan() {
		var r relayReport
		if err := json.Unmarshal(s.Bytes(), &r); err != nil {
			t.Fatalf("report %q: %v", s.Text(), err)
		}
		if r.Err != "" {
			cmd.Process.Kill()
			t.Fatalf("%s: %s", r.Role, r.Err)
		}
		reports[r.Role] = r
	}
	leaf, ok := reports["leaf"]
	if !ok || reports["middle"].Pid == 0 {
		cmd.Process.Kill()
		t.Fatalf("reports %v: want the middle's and the leaf's", reports)
	}
	var inherited []uintptr
	for _, lh := range leaf.Handles {
		if launchPlatform.same(t, leaf.Pid, lh, ev) {
			t.Errorf("leaf holds the event the middle inherited, as %d (inheritable %v)", lh.Value, lh.Inherit)
		}
		if lh.Inherit {
			inherited = append(inherited, lh.Value)
		}
	}
	slices.Sort(inherited)
	if !slices.Equal(inherited, leaf.Want) {
		t.Errorf("leaf inherited %v, want %v: its standard handles, its event and its lifeline only", inherited, leaf.Want)
	}
}
