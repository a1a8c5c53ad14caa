/*
 * starttest - checks of c/handoff.h's parent side, as a program uses it:
 * it starts itself again as the child, in a mode named by its first
 * argument, and checks what that child observed. The end-to-end tests
 * build it as they build the examples (cc -O2 -Ic c/test/starttest.c,
 * x86_64-w64-mingw32-gcc for Windows) and run it; it prints one line per
 * check and exits 0 only if all passed.
 *
 * Both: every entry point refuses NULL pointers, bad sizes and a zeroed
 * child with an error, and touches nothing. Linux: a start whose exec
 * fails is an error naming the program, and writes nothing into a passed
 * file, whatever numbers are free; a child started from a thread that then
 * ends lives on; the child starts with no signal blocked or ignored; a
 * child released without a wait is reaped; an argument of many '{' does
 * not need memory in proportion. Windows: the program path and arguments
 * keep their non-ASCII characters; the child's parent is this process and
 * its lifeline names it; the child is in its job; no duplicate made for
 * the start stays open here.
 */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* this test's own needs: mkstemp, pthread_sigmask... */
#endif
#define HANDOFF_IMPLEMENTATION
#include "handoff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed, checks;

static void check(const char *what, int ok, const char *detail)
{
	checks++;
	if (!ok)
		failed++;
	printf("%s %s%s%s\n", ok ? "ok" : "FAIL", what, detail && *detail ? ": " : "", detail ? detail : "");
	fflush(stdout);
}

/* check_null calls every entry point with what it must refuse. */
static void check_null(void)
{
	handoff_child zero, c;
	handoff_error e;
	handoff_handles hs;
	handoff_handle h;
	unsigned long long v;
	const char *args[] = {"x", "{a}", NULL};
	handoff_pass bad = {NULL, HANDOFF_EVENT, HANDOFF_NO_HANDLE};
	memset(&zero, 0, sizeof zero);
	check("parse_value(NULL)", handoff_parse_value(NULL, &v, &e) == HANDOFF_USAGE, e.text);
	check("parse_value(s, NULL)", handoff_parse_value("4", NULL, &e) == HANDOFF_USAGE, e.text);
	check("parse_handles(NULL)", handoff_parse_handles(NULL, &hs, &e) == HANDOFF_USAGE, e.text);
	check("parse_handles(s, NULL)", handoff_parse_handles("a=event:4", NULL, &e) == HANDOFF_USAGE, e.text);
	check("lookup(NULL, NULL)", handoff_lookup(NULL, NULL) == NULL, "");
	check("open(NULL)", handoff_open(NULL, HANDOFF_EVENT, &h, &e) == HANDOFF_USAGE, e.text);
	check("open(v, kind, NULL)", handoff_open("4", HANDOFF_EVENT, NULL, &e) == HANDOFF_USAGE, e.text);
	check("open(v, bad kind)", handoff_open("4", 99, &h, &e) == HANDOFF_USAGE, e.text);
	check("open_name(NULL)", handoff_open_name(NULL, "event", HANDOFF_EVENT, &h, &e) == HANDOFF_USAGE, e.text);
	check("event_new(NULL)", handoff_event_new(NULL, &e) == HANDOFF_USAGE, e.text);
	check("start(NULL child)", handoff_start(NULL, args, NULL, 0, 0, &e) == HANDOFF_USAGE, e.text);
	check("start(NULL argv)", handoff_start(&c, NULL, NULL, 0, 0, &e) == HANDOFF_USAGE, e.text);
	check("start(npass -1)", handoff_start(&c, args, NULL, -1, 0, &e) == HANDOFF_USAGE, e.text);
	check("start(pass NULL, npass 1)", handoff_start(&c, args, NULL, 1, 0, &e) == HANDOFF_USAGE, e.text);
	check("start(name NULL)", handoff_start(&c, args, &bad, 1, 0, &e) == HANDOFF_USAGE, e.text);
	check("child_value(NULL)", handoff_child_value(NULL, "a") == -1 && handoff_child_value(&zero, NULL) == -1, "");
	check("wait_ready(zeroed child)", handoff_wait_ready(&zero, 0, &e) == HANDOFF_USAGE, e.text);
	check("wait_child(zeroed child)", handoff_wait_child(&zero, 0, &e) == HANDOFF_USAGE, e.text);
	check("wait_child(NULL)", handoff_wait_child(NULL, 0, &e) == HANDOFF_USAGE, e.text);
	handoff_kill(NULL);
	handoff_kill(&zero);
	handoff_child_release(NULL);
	handoff_child_release(&zero);
	check("kill and release of NULL and a zeroed child return", 1, "");
}

#ifdef _WIN32
#include <windows.h>

static char self[4 * MAX_PATH];

/* utf8 is the child mode "utf8 ARG" (and "utf8-path ARG"): its command
 * line (and its path) must hold the characters its parent gave in UTF-8. */
static int utf8(int path)
{
	wchar_t exe[MAX_PATH];
	GetModuleFileNameW(NULL, exe, MAX_PATH);
	if (wcsstr(GetCommandLineW(), L"caf\u00e9-\u4e16\u754c") == NULL)
		return printf("command line lost its characters\n"), 9;
	if (path && wcsstr(exe, L"h\u00e9llo-\u4e16") == NULL)
		return printf("path lost its characters\n"), 9;
	return 0;
}

/* parent is the child mode "parent LIFELINE PID": the lifeline passes
 * handoff_open, and the process that created this one is PID. */
static int parent(const char *value, const char *pid)
{
	handoff_handle h;
	handoff_error e;
	handoff_init();
	if (handoff_open(value, HANDOFF_LIFELINE, &h, &e) != 0)
		return printf("%s\n", e.text), e.code;
	if (handoff_parent_pid() != atol(pid))
		return printf("parent is %ld, want %s\n", handoff_parent_pid(), pid), 9;
	return 0;
}

/* run starts argv, npass handles of pass, and waits for its exit code. */
static int run(const char *const argv[], const handoff_pass *pass, int npass, handoff_child *c, char *why)
{
	handoff_error e;
	if (handoff_start(c, argv, pass, npass, 0, &e) != 0)
		return sprintf(why, "%.400s", e.text), -1;
	if (handoff_wait_child(c, 20000, &e) != 0)
		return sprintf(why, "%.400s", e.text), -1;
	return sprintf(why, "exit code %d", c->exit_code), c->exit_code;
}

static void check_utf8(void)
{
	wchar_t dir[MAX_PATH], exe[MAX_PATH], wself[MAX_PATH];
	char path[4 * MAX_PATH], why[512];
	const char *argv[] = {self, "utf8", "caf\xc3\xa9-\xe4\xb8\x96\xe7\x95\x8c", NULL};
	handoff_child c;
	check("an argument with non-ASCII characters", run(argv, NULL, 0, &c, why) == 0, why);
	handoff_child_release(&c);
	argv[0] = path;
	argv[1] = "utf8-path";
	GetTempPathW(MAX_PATH, dir);
	wcscat(dir, L"handoff-h\u00e9llo-\u4e16");
	CreateDirectoryW(dir, NULL);
	swprintf(exe, MAX_PATH, L"%ls\\starttest.exe", dir);
	GetModuleFileNameW(NULL, wself, MAX_PATH);
	CopyFileW(wself, exe, FALSE);
	WideCharToMultiByte(CP_UTF8, 0, exe, -1, path, sizeof path, NULL, NULL);
	check("a program path and an argument with non-ASCII characters", run(argv, NULL, 0, &c, why) == 0, why);
	handoff_child_release(&c);
	DeleteFileW(exe);
	RemoveDirectoryW(dir);
}

static void check_parent(void)
{
	char pid[32], why[512];
	const char *argv[] = {self, "parent", "{parent}", pid, NULL};
	handoff_child c;
	handoff_error e;
	BOOL in = FALSE;
	int i, leftover = 0;
	sprintf(pid, "%lu", (unsigned long)GetCurrentProcessId());
	if (handoff_start(&c, argv, NULL, 0, 0, &e) != 0) {
		check("start with a lifeline", 0, e.text);
		return;
	}
	for (i = 0; i < c.nvalues; i++) {
		DWORD flags;
		if (GetHandleInformation((HANDLE)(ULONG_PTR)c.values[i].v, &flags) && (flags & HANDLE_FLAG_INHERIT))
			leftover++;
	}
	check("no inheritable duplicate stays open in the parent", leftover == 0, "");
	check("the child is in its job", IsProcessInJob(c.process, c.job, &in) && in, "");
	handoff_wait_child(&c, 20000, &e);
	sprintf(why, "exit code %d", c.exit_code);
	check("the child's parent is this process, and its lifeline names it", c.exited && c.exit_code == 0, why);
	handoff_child_release(&c);
}

/* The checks, by the names "starttest only NAME" runs alone. */
static const struct {
	const char *name;
	void (*run)(void);
} groups[] = {{"null", check_null}, {"utf8", check_utf8}, {"parent", check_parent}};

int main(int argc, char **argv)
{
	wchar_t w[MAX_PATH];
	int i;
	if (argc == 3 && strcmp(argv[1], "utf8") == 0)
		return utf8(0);
	if (argc == 3 && strcmp(argv[1], "utf8-path") == 0)
		return utf8(1);
	if (argc == 4 && strcmp(argv[1], "parent") == 0 && strcmp(argv[2], "only") != 0)
		return parent(argv[2], argv[3]);
	GetModuleFileNameW(NULL, w, MAX_PATH);
	WideCharToMultiByte(CP_UTF8, 0, w, -1, self, sizeof self, NULL, NULL);
	for (i = 0; i < (int)(sizeof groups / sizeof groups[0]); i++)
		if (argc < 3 || strcmp(argv[1], "only") != 0 || strcmp(argv[2], groups[i].name) == 0)
			groups[i].run();
	printf("# %d checks, %d failed\n", checks, failed);
	return failed ? 1 : 0;
}

#else

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char self[] = "/proc/self/exe";

/* wait_event is the child mode "wait VALUE": it opens the event and waits
 * for it (20 s at most). */
static int wait_event(const char *value)
{
	handoff_handle ev;
	handoff_error e;
	int code;
	handoff_init();
	if ((code = handoff_open(value, HANDOFF_EVENT, &ev, &e)) != 0)
		return fprintf(stderr, "starttest child: %s\n", e.text), code;
	return handoff_wait(ev, NULL, 20000, &e);
}

/* signals is the child mode "signals": SIGUSR1 must not be blocked, nor
 * SIGUSR2 ignored, though its parent had them so. */
static int signals(void)
{
	char line[256];
	unsigned long long blk = 0, ign = 0;
	FILE *f = fopen("/proc/self/status", "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		sscanf(line, "SigBlk: %llx", &blk);
		sscanf(line, "SigIgn: %llx", &ign);
	}
	if (blk & (1ULL << (SIGUSR1 - 1)))
		return printf("SIGUSR1 blocked\n"), 9;
	if (ign & (1ULL << (SIGUSR2 - 1)))
		return printf("SIGUSR2 ignored\n"), 9;
	return 0;
}

/* move puts fd at a number of at least 100, away from 3, 4... */
static int move(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	close(fd);
	return high;
}

/* check_exec starts program, which cannot be run, with a file passed
 * between two events, at numbers that leave 3, 4... free: the start must
 * fail naming the program and why, and write nothing into the file. */
static void check_exec(const char *program, const char *why)
{
	char name[] = "/tmp/handoff-starttest-XXXXXX", what[600];
	const char *argv[] = {program, "{a}", "{out}", "{b}", NULL};
	handoff_pass pass[3] = {{"a", HANDOFF_EVENT, -1}, {"out", HANDOFF_FILE, -1}, {"b", HANDOFF_EVENT, -1}};
	handoff_child c;
	handoff_error e;
	struct stat st;
	int code, fd;
	for (fd = 3; fd < 100; fd++)
		close(fd);
	pass[1].h = move(mkstemp(name));
	unlink(name);
	handoff_event_new(&pass[0].h, &e);
	handoff_event_new(&pass[2].h, &e);
	pass[0].h = move(pass[0].h);
	pass[2].h = move(pass[2].h);
	memset(&e, 0, sizeof e);
	code = handoff_start(&c, argv, pass, 3, 0, &e);
	snprintf(what, sizeof what, "start %s: %d, %s", program, code, e.text);
	check("a program that cannot run is an error naming it and why", code == HANDOFF_FAILURE && strstr(e.text, program) && strstr(e.text, why), what);
	if (code == 0) {
		handoff_wait_child(&c, 20000, &e);
		handoff_child_release(&c);
	}
	fstat(pass[1].h, &st);
	snprintf(what, sizeof what, "%lld bytes", (long long)st.st_size);
	check("its start wrote nothing into the passed file", st.st_size == 0, what);
	for (fd = 0; fd < 3; fd++)
		close(pass[fd].h);
}

/* check_exec_failures: a program not found, and one the kernel cannot
 * execute (no shebang, no ELF header). */
static void check_exec_failures(void)
{
	char name[] = "/tmp/handoff-starttest-XXXXXX";
	int fd = mkstemp(name);
	if (fd < 0 || write(fd, "\x01\x02 not a program\n", 17) != 17 || fchmod(fd, 0755) != 0) {
		check("make a file that is not a program", 0, strerror(errno));
		return;
	}
	close(fd);
	check_exec("/nonexistent/handoff-no-such-program", "No such file or directory");
	check_exec("handoff-no-such-program-on-path", "No such file or directory");
	check_exec(name, "Exec format error");
	unlink(name);
}

struct thread_start {
	handoff_child c;
	handoff_handle ev;
	int code;
	long tid;
};

static void *thread_start(void *arg)
{
	struct thread_start *t = (struct thread_start *)arg;
	const char *argv[] = {self, "wait", "{event}", NULL};
	handoff_pass pass = {"event", HANDOFF_EVENT, -1};
	handoff_error e;
	pass.h = t->ev;
	t->tid = (long)syscall(SYS_gettid);
	t->code = handoff_start(&t->c, argv, &pass, 1, 0, &e);
	if (t->code != 0)
		printf("# start: %s\n", e.text);
	return NULL;
}

/* check_thread starts a child from a thread that then ends, and sets the
 * event once that thread is gone: the child must have lived on to see it. */
static void check_thread(void)
{
	struct thread_start t;
	pthread_t th;
	handoff_error e;
	char task[64], why[128];
	int i;
	memset(&t, 0, sizeof t);
	handoff_event_new(&t.ev, &e);
	pthread_create(&th, NULL, thread_start, &t);
	pthread_join(th, NULL);
	if (t.code != 0) {
		check("start from a thread", 0, "");
		return;
	}
	/* The thread's task is gone once its exit sent the parent-death signal. */
	snprintf(task, sizeof task, "/proc/self/task/%ld", t.tid);
	for (i = 0; i < 5000 && access(task, F_OK) == 0; i++)
		usleep(1000);
	handoff_event_set(t.ev, &e);
	handoff_wait_child(&t.c, 20000, &e);
	snprintf(why, sizeof why, "exit code %d, signal %d", t.c.exit_code, t.c.signal);
	check("a child started by a thread that ended lives on", t.c.exited && t.c.exit_code == 0 && t.c.signal == 0, why);
	handoff_child_release(&t.c);
	handoff_close(t.ev);
}

/* check_signals starts a child while SIGUSR1 is blocked and SIGUSR2
 * ignored here: the child must have neither. */
static void check_signals(void)
{
	const char *argv[] = {self, "signals", NULL};
	sigset_t set, old;
	handoff_child c;
	handoff_error e;
	char why[600];
	int code;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGUSR2, SIG_IGN);
	code = handoff_start(&c, argv, NULL, 0, 0, &e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR2, SIG_DFL);
	if (code == 0)
		handoff_wait_child(&c, 20000, &e);
	snprintf(why, sizeof why, "start %d, exit code %d", code, code ? -1 : c.exit_code);
	check("the child starts with no signal blocked or ignored", code == 0 && c.exited && c.exit_code == 0, why);
	if (code == 0)
		handoff_child_release(&c);
}

/* check_release releases a child that was not waited for: it must be
 * reaped, not left a zombie (nor running). */
static void check_release(void)
{
	const char *argv[] = {self, "wait", "{event}", NULL};
	handoff_pass pass = {"event", HANDOFF_EVENT, -1};
	handoff_child c;
	handoff_error e;
	pid_t pid;
	int status, r;
	handoff_event_new(&pass.h, &e);
	if (handoff_start(&c, argv, &pass, 1, 0, &e) != 0) {
		check("start", 0, e.text);
		return;
	}
	pid = (pid_t)c.pid;
	handoff_child_release(&c);
	r = waitpid(pid, &status, WNOHANG);
	check("a child released without a wait is reaped", r < 0 && errno == ECHILD, r == 0 ? "still running" : r > 0 ? "was a zombie" : "");
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	check("release leaves standard input alone", fcntl(0, F_GETFD) >= 0 || errno != EBADF, "");
	handoff_close(pass.h);
}

/* check_braces starts a child with an argument of 100,000 '{' in a process
 * limited to 256 MiB of address space: the filled argument must not need
 * memory in proportion to its '{'s. In a process of its own. */
static void check_braces(void)
{
	pid_t pid = fork();
	int status = 0;
	if (pid == 0) {
		static char arg[100001 + 8];
		const char *argv[] = {self, "wait", arg, NULL};
		handoff_pass pass = {"event", HANDOFF_EVENT, -1};
		struct rlimit rl = {256u << 20, 256u << 20};
		handoff_child c;
		handoff_error e;
		memset(arg, '{', 100000);
		memcpy(arg + 100000, "{event}", 8);
		setrlimit(RLIMIT_AS, &rl);
		handoff_event_new(&pass.h, &e);
		handoff_event_set(pass.h, &e);
		if (handoff_start(&c, argv, &pass, 1, 0, &e) != 0)
			_exit(printf("# %s\n", e.text) > 0 ? 3 : 3);
		handoff_wait_child(&c, 20000, &e);
		_exit(c.exit_code == 0 ? 0 : 4);
	}
	waitpid(pid, &status, 0);
	check("an argument of 100,000 '{' fills within 256 MiB", WIFEXITED(status) && WEXITSTATUS(status) == 0, "");
}

/* The checks, by the names "starttest only NAME" runs alone. */
static const struct {
	const char *name;
	void (*run)(void);
} groups[] = {
	{"exec", check_exec_failures}, {"null", check_null}, {"signals", check_signals},
	{"thread", check_thread},      {"release", check_release}, {"braces", check_braces},
};

int main(int argc, char **argv)
{
	int i;
	if (argc == 3 && strcmp(argv[1], "wait") == 0)
		return wait_event(argv[2] + strspn(argv[2], "{"));
	if (argc == 2 && strcmp(argv[1], "signals") == 0)
		return signals();
	for (i = 0; i < (int)(sizeof groups / sizeof groups[0]); i++)
		if (argc < 3 || strcmp(argv[1], "only") != 0 || strcmp(argv[2], groups[i].name) == 0)
			groups[i].run();
	printf("# %d checks, %d failed\n", checks, failed);
	return failed ? 1 : 0;
}

#endif
