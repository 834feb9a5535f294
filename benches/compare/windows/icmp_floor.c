/* The floor under any Windows program's ping: a bare IcmpSendEcho2 loop, each call timed
 * by QueryPerformanceCounter around it, one RTT in milliseconds per line ("lost" for a
 * request without an echo reply). The bench (benches/compare/windows.rs) builds it with
 * mingw and runs it under Wine beside netlab.exe: what it measures is the API's own time
 * under Wine (the request's way through wineserver and nsiproxy and back), with nothing of
 * netlab's around it.
 *
 * usage: icmp-floor.exe IPV4-ADDRESS COUNT INTERVAL-MS
 */
#include <winsock2.h>
#include <windows.h>
#include <iphlpapi.h>
#include <icmpapi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: icmp-floor.exe IPV4-ADDRESS COUNT INTERVAL-MS\n");
        return 2;
    }
    unsigned long dst = inet_addr(argv[1]);
    int count = atoi(argv[2]);
    int interval = atoi(argv[3]);
    if (dst == INADDR_NONE || count <= 0 || interval < 0) {
        fprintf(stderr, "icmp-floor.exe: bad arguments\n");
        return 2;
    }
    HANDLE icmp = IcmpCreateFile();
    if (icmp == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "icmp-floor.exe: IcmpCreateFile: error %lu\n", GetLastError());
        return 1;
    }
    /* 56 bytes of data, as netlab's ping sends by default. */
    char data[56];
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (char)i;
    /* Room for the reply, the echoed data, an ICMP error's 8 bytes and an IO_STATUS_BLOCK. */
    static unsigned long long reply[(sizeof(ICMP_ECHO_REPLY) + sizeof data + 8 + 64) / 8 + 1];
    LARGE_INTEGER freq, before, after;
    QueryPerformanceFrequency(&freq);
    for (int i = 0; i < count; i++) {
        QueryPerformanceCounter(&before);
        DWORD n = IcmpSendEcho2(icmp, NULL, NULL, NULL, dst, data, sizeof data, NULL, reply,
                                sizeof reply, 1000);
        QueryPerformanceCounter(&after);
        const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)reply;
        if (n > 0 && r->Status == IP_SUCCESS)
            printf("%.3f\n", (double)(after.QuadPart - before.QuadPart) * 1000.0 / (double)freq.QuadPart);
        else
            printf("lost\n");
        fflush(stdout);
        if (interval > 0 && i + 1 < count)
            Sleep(interval);
    }
    IcmpCloseHandle(icmp);
    return 0;
}
