package exitcode

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
)

func TestOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, OK},
		{flag.ErrHelp, OK},
		{errors.New("boom"), Failure},
		{Errorf(Usage, "bad flag"), Usage},
		{fmt.Errorf("run: %w", Errorf(ChildFailed, "child failed: exit code %d", 3)), ChildFailed},
		// An explicit code wins over a sentinel it wraps.
		{Errorf(Timeout, "wait: %w", handoff.ErrParentGone), Timeout},
		{fmt.Errorf("x: %w", handoff.ErrBadValue), BadValue},
		{fmt.Errorf("x: %w", handoff.ErrNotInherited), NotInherited},
		{fmt.Errorf("x: %w", handoff.ErrWrongType), WrongType},
		{fmt.Errorf("x: %w", handoff.ErrParentGone), ParentGone},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), Timeout},
		{context.Canceled, Failure},
	}
	for _, tt := range tests {
		if got := Of(tt.err); got != tt.want {
			t.Errorf("Of(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestTable(t *testing.T) {
	for _, tt := range []struct {
		parent     bool
		has, hasNo []int
	}{
		{true, []int{0, 1, 2, 7, 8}, []int{3, 4, 5, 6}},
		{false, []int{0, 1, 2, 3, 4, 5, 6, 7}, []int{8}},
	} {
		table := Table(tt.parent)
		for _, c := range tt.has {
			if !strings.Contains(table, fmt.Sprintf("\n  %d  ", c)) && !strings.HasPrefix(table, fmt.Sprintf("  %d  ", c)) {
				t.Errorf("Table(%v) lacks code %d:\n%s", tt.parent, c, table)
			}
		}
		for _, c := range tt.hasNo {
			if strings.Contains(table, fmt.Sprintf("  %d  ", c)) {
				t.Errorf("Table(%v) has code %d:\n%s", tt.parent, c, table)
			}
		}
	}
}

func TestErrorUnwrap(t *testing.T) {
	err := Errorf(Usage, "flag: %w", flag.ErrHelp)
	if !errors.Is(err, flag.ErrHelp) || err.Error() != "flag: flag: help requested" {
		t.Errorf("Errorf(...) = %q, does not wrap flag.ErrHelp", err)
	}
}
