/*
 * A child of the start gate in C, the baseline of BenchmarkStartGate's Go
 * children: set the ready event, wait for the event, read the performance
 * counter in nanoseconds (the clock of internal/trace), print
 * "woke NANOSECONDS", and stay until standard input closes.
 *
 * With -roundtrip, it also sets an event of its own between its wake and
 * its reading of the counter: one call that goes to the wineserver under
 * Wine, as a Go child's return from a long wait does (BenchmarkStartGate's
 * child=c-roundtrip probe).
 *
 * Usage: gate EVENT READY [-roundtrip]
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	int roundtrip = argc == 4 && strcmp(argv[3], "-roundtrip") == 0;
	if (argc != 3 && !roundtrip) {
		fprintf(stderr, "usage: gate EVENT READY [-roundtrip]\n");
		return 2;
	}
	HANDLE own = NULL;
	if (roundtrip && (own = CreateEventW(NULL, FALSE, FALSE, NULL)) == NULL) {
		fprintf(stderr, "gate: CreateEvent: error %lu\n", GetLastError());
		return 1;
	}
	HANDLE ev = (HANDLE)(ULONG_PTR)strtoull(argv[1], NULL, 10);
	HANDLE ready = (HANDLE)(ULONG_PTR)strtoull(argv[2], NULL, 10);
	if (!SetEvent(ready)) {
		fprintf(stderr, "gate: SetEvent(ready): error %lu\n", GetLastError());
		return 1;
	}
	if (WaitForSingleObject(ev, 60000) != WAIT_OBJECT_0) {
		fprintf(stderr, "gate: the event was not set within 60s\n");
		return 1;
	}
	if (own != NULL && !SetEvent(own)) {
		fprintf(stderr, "gate: SetEvent: error %lu\n", GetLastError());
		return 1;
	}
	LARGE_INTEGER c, f;
	QueryPerformanceCounter(&c);
	QueryPerformanceFrequency(&f);
	long long ns = c.QuadPart / f.QuadPart * 1000000000 + c.QuadPart % f.QuadPart * 1000000000 / f.QuadPart;
	printf("woke %lld\n", ns);
	fflush(stdout);
	char buf[64];
	DWORD n;
	while (ReadFile(GetStdHandle(STD_INPUT_HANDLE), buf, sizeof buf, &n, NULL) && n > 0)
		;
	return 0;
}
