package main

import (
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

func stdio() (in, out, err uintptr) { return 0, 1, 2 }

// describe returns the type of descriptor fd and whether it is inherited
// across exec (not close-on-exec).
func describe(fd uintptr) (typ string, inherit bool, err error) {
	flags, err := unix.FcntlInt(fd, unix.F_GETFD, 0)
	if err != nil {
		return "", false, os.NewSyscallError("fcntl", err)
	}
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(fd)))
	if err != nil {
		return "", false, err
	}
	return kind(target), flags&unix.FD_CLOEXEC == 0, nil
}

func kind(target string) string {
	switch {
	case target == "anon_inode:[eventfd]":
		return "eventfd"
	case target == "anon_inode:[pidfd]", strings.HasPrefix(target, "pidfd:"):
		return "pidfd"
	case strings.HasPrefix(target, "pipe:"):
		return "pipe"
	case strings.HasPrefix(target, "socket:"):
		return "socket"
	case strings.HasPrefix(target, "anon_inode:"):
		return target
	}
	return "file"
}

// inheritable lists the open descriptors that are not close-on-exec. The
// directory's own descriptor is close-on-exec, so it does not show.
func inheritable(_ uintptr, _ []uintptr) ([]handle, error) {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	var list []handle
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		typ, inherit, err := describe(uintptr(fd))
		if err != nil || !inherit {
			continue // err: the directory's descriptor, closed by now
		}
		list = append(list, handle{uintptr(fd), typ})
	}
	slices.SortFunc(list, func(a, b handle) int { return int(a.value) - int(b.value) })
	return list, nil
}
