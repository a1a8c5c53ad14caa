package trace

import (
	"errors"
	"os"
	"sync"

	"github.com/handoff/handoff/internal/winapi"
)

// frequency is the performance counter's frequency in counts per second,
// fixed at boot.
var frequency = sync.OnceValues(func() (int64, error) {
	var f int64
	if err := winapi.QueryPerformanceFrequency(&f); err != nil {
		return 0, os.NewSyscallError("QueryPerformanceFrequency", err)
	}
	if f <= 0 {
		return 0, errors.New("QueryPerformanceFrequency: no performance counter")
	}
	return f, nil
})

func now() (int64, error) {
	f, err := frequency()
	if err != nil {
		return 0, err
	}
	var c int64
	if err := winapi.QueryPerformanceCounter(&c); err != nil {
		return 0, os.NewSyscallError("QueryPerformanceCounter", err)
	}
	// c*1e9 would overflow after about 10 days at 10 MHz.
	return c/f*1e9 + c%f*1e9/f, nil
}
