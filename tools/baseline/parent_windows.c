/*
 * The classic sample's parent, the baseline of handoff-parent's run: an
 * inheritable event, CreateProcess with bInheritHandles=TRUE, the handle as a
 * bare decimal argv[1], SetEvent, wait for the child, exit with its code.
 *
 * Usage: parent CHILD.exe
 */
#include <windows.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: parent CHILD.exe\n");
		return 2;
	}
	SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
	HANDLE ev = CreateEventW(&sa, TRUE, FALSE, NULL);
	if (ev == NULL) {
		fprintf(stderr, "parent: CreateEvent: error %lu\n", GetLastError());
		return 1;
	}
	char cmd[MAX_PATH + 32];
	snprintf(cmd, sizeof cmd, "\"%s\" %llu", argv[1], (unsigned long long)(ULONG_PTR)ev);
	STARTUPINFOA si = {sizeof si};
	PROCESS_INFORMATION pi;
	if (!CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
		fprintf(stderr, "parent: CreateProcess: error %lu\n", GetLastError());
		return 1;
	}
	CloseHandle(pi.hThread);
	printf("[PARENT] started child pid %lu, event %llu\n", pi.dwProcessId, (unsigned long long)(ULONG_PTR)ev);
	if (!SetEvent(ev)) {
		fprintf(stderr, "parent: SetEvent: error %lu\n", GetLastError());
		TerminateProcess(pi.hProcess, 1);
		return 1;
	}
	DWORD code = 1;
	if (WaitForSingleObject(pi.hProcess, 30000) != WAIT_OBJECT_0 || !GetExitCodeProcess(pi.hProcess, &code)) {
		fprintf(stderr, "parent: the child did not exit within 30s\n");
		TerminateProcess(pi.hProcess, 1);
		return 1;
	}
	printf("[PARENT] child exited with code %lu\n", code);
	return (int)code;
}
