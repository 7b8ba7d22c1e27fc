/*
 * hello.c: the smallest useful libfcgi responder. It takes its listening socket on fd 0
 * (FCGI_LISTENSOCK_FILENO), as the PM hands it, and answers every request with a short page.
 * Build: cc -O2 -o hello hello.c -lfcgi   (Debian: libfcgi-dev)
 */
#include <fcgiapp.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    FCGX_Request request;
    unsigned long served = 0;

    if (FCGX_Init() != 0 || FCGX_InitRequest(&request, 0, 0) != 0)
        return 1;

    while (FCGX_Accept_r(&request) >= 0) {
        const char *script = FCGX_GetParam("SCRIPT_NAME", request.envp);
        const char *query = FCGX_GetParam("QUERY_STRING", request.envp);
        served++;
        FCGX_FPrintF(request.out,
                     "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                     "Hello from a libfcgi app, pid %d, request %lu\n"
                     "SCRIPT_NAME=%s QUERY_STRING=%s\n",
                     (int)getpid(), served, script ? script : "", query ? query : "");
        FCGX_Finish_r(&request);
    }
    return 0;
}
