/*
 * The classic sample's parent on Linux, the baseline of handoff-parent's
 * run: an eventfd left open across exec, the child started with posix_spawn
 * (vfork and exec, as Go's os/exec does) with the descriptor as a bare
 * decimal argv[1], the event set, wait for the child, exit with its code.
 *
 * Usage: parent CHILD
 */
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: parent CHILD\n");
		return 2;
	}
	int ev = eventfd(0, 0);
	if (ev < 0) {
		perror("parent: eventfd");
		return 1;
	}
	char value[16];
	snprintf(value, sizeof value, "%d", ev);
	char *args[] = {argv[1], value, NULL};
	pid_t pid;
	int err = posix_spawn(&pid, argv[1], NULL, NULL, args, environ);
	if (err != 0) {
		fprintf(stderr, "parent: posix_spawn: %s\n", strerror(err));
		return 1;
	}
	printf("[PARENT] started child pid %d, event %d\n", (int)pid, ev);
	uint64_t one = 1;
	if (write(ev, &one, sizeof one) != sizeof one) {
		perror("parent: write");
		return 1;
	}
	int status;
	if (waitpid(pid, &status, 0) < 0) {
		perror("parent: waitpid");
		return 1;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	printf("[PARENT] child exited with code %d\n", code);
	return code;
}
