# shellcheck shell=bash
# Sourced by tools/wine/setup.sh and tools/wine/wine10.sh, which check with
# it that a Go program for Windows runs under their Wine.
#
# build_hello DIR builds DIR/hello.exe: a GOOS=windows program that takes
# random bytes (through ProcessPrng, as every Go program does at start) and
# prints $hello_ok.
# shellcheck disable=SC2034 # for the scripts that source this
hello_ok="handoff-wine-ok windows amd64"
build_hello() {
	cat >"$1/hello.go" <<'GO'
package main

import (
	"crypto/rand"
	"fmt"
	"runtime"
)

func main() {
	rand.Read(make([]byte, 16))
	fmt.Println("handoff-wine-ok", runtime.GOOS, runtime.GOARCH)
}
GO
	(cd "$1" && GOOS=windows GOARCH=amd64 GOFLAGS='' GOWORK=off CGO_ENABLED=0 \
		go build -o hello.exe hello.go)
}
