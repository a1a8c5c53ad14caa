package exitcode

import (
	"testing"

	"github.com/handoff/handoff"
)

// TestSameAsLibrary checks that the programs' codes are the library's,
// which keeps the table of docs/protocol.md.
func TestSameAsLibrary(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"OK", OK, handoff.ExitOK},
		{"Failure", Failure, handoff.ExitFailure},
		{"Usage", Usage, handoff.ExitUsage},
		{"BadValue", BadValue, handoff.ExitBadValue},
		{"NotInherited", NotInherited, handoff.ExitNotInherited},
		{"WrongType", WrongType, handoff.ExitWrongType},
		{"ParentGone", ParentGone, handoff.ExitParentGone},
		{"Timeout", Timeout, handoff.ExitTimeout},
		{"ChildFailed", ChildFailed, handoff.ExitChildFailed},
	} {
		if c.got != c.want {
			t.Errorf("exitcode.%s = %d, want the library's %d", c.name, c.got, c.want)
		}
	}
}
