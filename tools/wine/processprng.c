/*
 * bcryptprimitives.dll shim, for running Go windows binaries under Wine 8.0.
 *
 * Go >= 1.22 takes its random bytes from bcryptprimitives.dll!ProcessPrng,
 * which Wine only gained in 8.13. Under Debian bookworm's Wine 8.0 every Go
 * windows binary dies at start with "bcryptprimitives.dll not found". This
 * DLL provides ProcessPrng on top of advapi32's SystemFunction036
 * (RtlGenRandom). tools/wine/setup.sh builds it with mingw-w64 and copies it
 * into the Wine prefix's system32. Test infrastructure only; never shipped.
 */
#include <windows.h>

/* advapi32!SystemFunction036 is RtlGenRandom (ntsecapi.h). */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG chunk = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;

		if (!SystemFunction036(data, chunk))
			return FALSE;
		data += chunk;
		len -= chunk;
	}
	return TRUE;
}
