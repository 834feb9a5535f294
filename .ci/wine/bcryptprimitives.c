/*
 * bcryptprimitives.dll for Wine, exporting only ProcessPrng.
 *
 * Why: Rust's standard library (1.78 and later) takes its random bytes on Windows from
 * ProcessPrng in bcryptprimitives.dll, imported at load time. Wine 8.0 (Debian bookworm's)
 * ships no such DLL, so every Rust .exe stops before main with exit code 53 (DLL not found).
 * This file is the smallest stand-in: ProcessPrng forwards to RtlGenRandom, which advapi32
 * exports as SystemFunction036 and Wine implements. It is used only to run Windows builds
 * under Wine in CI (.ci/cross-setup.sh builds it with mingw and puts it in the Wine prefix's
 * system32); it is never shipped with netlab.
 *
 * Hand-written because no package provides it: it is the one function Wine lacks.
 */
#include <windows.h>

/* RtlGenRandom's exported name; mingw's libadvapi32.a has it, its headers only behind
 * a macro in ntsecapi.h, so it is declared here. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Same contract as Windows' ProcessPrng: fill cbData bytes, return TRUE. RtlGenRandom
 * takes a ULONG length, so a larger request is served in pieces. */
BOOL WINAPI ProcessPrng(PBYTE pbData, SIZE_T cbData)
{
    while (cbData > 0) {
        ULONG chunk = cbData > 0x40000000u ? 0x40000000u : (ULONG)cbData;
        if (!SystemFunction036(pbData, chunk))
            return FALSE;
        pbData += chunk;
        cbData -= chunk;
    }
    return TRUE;
}
