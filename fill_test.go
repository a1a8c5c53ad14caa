package handoff

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestReplace checks the placeholders' replacement against strings.Replacer
// given every pair, on strings made of placeholders, near misses and text.
// The values are handle values on every platform.
func TestReplace(t *testing.T) {
	hs, err := ParseHandles("event=event:12,parent=lifeline:16")
	if err != nil {
		t.Fatal(err)
	}
	h := &Handoff{values: map[string]uintptr{"event": 12, "parent": 16, "ev": 20}, handles: hs}
	want := strings.NewReplacer("{event}", "12", "{parent}", "16", "{ev}", "20", "{handles}", hs.String())
	pieces := []string{"{event}", "{parent}", "{ev}", "{handles}", "{", "}", "{x}", "{eve", "nt}", "{{", "}}", "a", "-e=", " ", "é"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if got, w := h.replace(s), want.Replace(s); got != w {
			t.Fatalf("replace(%q) = %q, want %q", s, got, w)
		}
	}
	// A placeholder whose value is empty is replaced too, even as the
	// first text replaced.
	if got := (&Handoff{}).replace("{handles}"); got != "" {
		t.Errorf("replace with no handles listed = %q, want \"\"", got)
	}
}
