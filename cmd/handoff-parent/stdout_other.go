//go:build !unix

package main

// stdoutClosedAtStart reports false: outside Unix a closed standard output
// is a nil os.Stdout.
func stdoutClosedAtStart() bool { return false }
