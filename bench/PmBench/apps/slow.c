/* slow.c: a libfcgi responder whose every request takes 50 ms (or ?ms=N), for scaling benchmarks.
 * ?ms=N&early=1 sends and flushes its header before sleeping: the web process then sees the first byte when the
 * request starts being served, so the C record's queue time is the wait and its service time the N ms. Without it
 * the whole answer comes at the end, and the C record counts the N ms as queue time. */
#include <fcgiapp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    FCGX_Request request;
    if (FCGX_Init() != 0 || FCGX_InitRequest(&request, 0, 0) != 0)
        return 1;
    while (FCGX_Accept_r(&request) >= 0) {
        const char *query = FCGX_GetParam("QUERY_STRING", request.envp);
        long ms = 50;
        if (query && strncmp(query, "ms=", 3) == 0)
            ms = atol(query + 3);
        int early = query && strstr(query, "early=1") != NULL;
        if (early) {
            FCGX_FPrintF(request.out, "Content-Type: text/plain\r\n\r\n");
            FCGX_FFlush(request.out);
        }
        struct timespec delay = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&delay, NULL);
        if (!early)
            FCGX_FPrintF(request.out, "Content-Type: text/plain\r\n\r\n");
        FCGX_FPrintF(request.out, "slept %ld ms in pid %d\n", ms, (int)getpid());
        FCGX_Finish_r(&request);
    }
    return 0;
}
