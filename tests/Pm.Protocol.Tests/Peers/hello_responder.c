/*
 * A tiny libfcgi responder, compiled by LibFcgiPeerTests to check the client against the reference C library.
 * It serves the listening socket it finds on fd 0 (FCGI_LISTENSOCK_FILENO), one request at a time, and answers:
 *   query=<QUERY_STRING>          what it was asked
 *   body=<length> fnv=<hash>      the request body's length and FNV-1a 32-bit hash
 *   then, for ?bytes=N, N bytes of the pattern i % 251; for ?stderr, a line on STDERR.
 */
#include <fcgiapp.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    FCGX_Request request;
    static char buffer[65536];

    FCGX_Init();
    FCGX_InitRequest(&request, 0, 0);
    while (FCGX_Accept_r(&request) >= 0) {
        const char *query = FCGX_GetParam("QUERY_STRING", request.envp);
        unsigned long length = 0;
        unsigned int fnv = 2166136261u;
        int n;

        if (query == NULL) {
            query = "";
        }

        while ((n = FCGX_GetStr(buffer, sizeof buffer, request.in)) > 0) {
            for (int i = 0; i < n; i++) {
                fnv = (fnv ^ (unsigned char)buffer[i]) * 16777619u;
            }
            length += (unsigned long)n;
        }

        FCGX_FPrintF(request.out, "Content-Type: text/plain\r\n\r\nquery=%s\nbody=%lu fnv=%08x\n", query, length, fnv);
        if (strncmp(query, "bytes=", 6) == 0) {
            long total = atol(query + 6);
            for (long written = 0; written < total;) {
                int chunk = total - written < (long)sizeof buffer ? (int)(total - written) : (int)sizeof buffer;
                for (int i = 0; i < chunk; i++) {
                    buffer[i] = (char)((written + i) % 251);
                }
                FCGX_PutStr(buffer, chunk, request.out);
                written += chunk;
            }
        }
        if (strstr(query, "stderr") != NULL) {
            FCGX_FPrintF(request.err, "libfcgi says hello on stderr\n");
        }
        FCGX_Finish_r(&request);
    }
    return 0;
}
