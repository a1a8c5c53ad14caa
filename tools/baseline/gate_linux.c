/*
 * A child of the start gate in C, the baseline of BenchmarkStartGate's Go
 * children: signal the ready eventfd, wait until the event's eventfd is
 * readable, read CLOCK_MONOTONIC (the clock of internal/trace), print
 * "woke NANOSECONDS", and stay until standard input closes.
 *
 * Usage: gate EVENT READY
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gate EVENT READY\n");
		return 2;
	}
	uint64_t one = 1;
	if (write(atoi(argv[2]), &one, sizeof one) != sizeof one) {
		perror("gate: write ready");
		return 1;
	}
	struct pollfd p = {.fd = atoi(argv[1]), .events = POLLIN};
	if (poll(&p, 1, 60000) != 1 || !(p.revents & POLLIN)) {
		fprintf(stderr, "gate: the event was not set within 60s\n");
		return 1;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("woke %lld\n", (long long)ts.tv_sec * 1000000000 + ts.tv_nsec);
	fflush(stdout);
	char buf[64];
	while (read(0, buf, sizeof buf) > 0)
		;
	return 0;
}
