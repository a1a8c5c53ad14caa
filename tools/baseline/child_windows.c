/*
 * The classic sample's child, the baseline of handoff-child's run: wait on
 * the handle given as a bare decimal argv[1], at most 30 s. Like the sample,
 * it checks nothing about the handle.
 *
 * Usage: child VALUE
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: child VALUE\n");
		return 2;
	}
	HANDLE ev = (HANDLE)(ULONG_PTR)strtoull(argv[1], NULL, 10);
	switch (WaitForSingleObject(ev, 30000)) {
	case WAIT_OBJECT_0:
		printf("[CHILD] Event signaled\n");
		return 0;
	case WAIT_TIMEOUT:
		fprintf(stderr, "child: timeout\n");
		return 7;
	default:
		fprintf(stderr, "child: WaitForSingleObject: error %lu\n", GetLastError());
		return 1;
	}
}
