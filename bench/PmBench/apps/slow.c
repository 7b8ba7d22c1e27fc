/* slow.c: a libfcgi responder whose every request takes 50 ms (or ?ms=N), for scaling benchmarks. */
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
        struct timespec delay = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&delay, NULL);
        FCGX_FPrintF(request.out, "Content-Type: text/plain\r\n\r\nslept %ld ms in pid %d\n", ms, (int)getpid());
        FCGX_Finish_r(&request);
    }
    return 0;
}
