//go:build (!unix && !windows) || netbsd || aix

package trace

import (
	"errors"
	"fmt"
	"runtime"
)

func now() (int64, error) {
	return 0, fmt.Errorf("trace: no system monotonic clock on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
