// Gonoop does nothing: the cost of a bare process start in Go, beside the C
// programs of tools/baseline.
package main

func main() {}
