/*
 * The classic sample's child on Linux, the baseline of handoff-child's run:
 * wait until the eventfd given as a bare decimal argv[1] is readable, at
 * most 30 s, without reading it (a manual-reset event, as handoff's).
 *
 * Usage: child VALUE
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: child VALUE\n");
		return 2;
	}
	struct pollfd p = {.fd = atoi(argv[1]), .events = POLLIN};
	switch (poll(&p, 1, 30000)) {
	case 1:
		if (p.revents & POLLIN) {
			printf("[CHILD] Event signaled\n");
			return 0;
		}
		fprintf(stderr, "child: poll: revents %#x\n", p.revents);
		return 1;
	case 0:
		fprintf(stderr, "child: timeout\n");
		return 7;
	default:
		perror("child: poll");
		return 1;
	}
}
