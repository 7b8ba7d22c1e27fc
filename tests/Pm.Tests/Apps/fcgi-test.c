/*
 * fcgi-test.c: a libfcgi responder for the front end's tests. It serves the listening socket on fd 0, as the PM
 * hands it, one connection at a time (libfcgi's model). What it does is chosen by the query string:
 *
 *   mode=echo            read the whole body; answer its length and FNV-1a 64 checksum
 *   mode=big&n=BYTES     answer BYTES of a fixed pattern (byte i = (i*31+7) & 255); &cl=1 adds Content-Length
 *   mode=headers         custom and repeated headers
 *   mode=status          Status: 404 Not Found
 *   mode=redirect        Location: http://example.test/elsewhere (no body)
 *   mode=slow&n=N&ms=MS  N chunks, MS milliseconds apart, each flushed; a failed write is reported on fd 2
 *   mode=hang            no answer; waits until the web server closes the connection, then says so on fd 2
 *   mode=freeze          no answer, ever: sleeps 600 s without looking at the connection (a frozen app)
 *   mode=wedge           answers, then sleeps 600 s outside any request (stuck: neither accepting nor serving)
 *   mode=stderr          two lines on FCGI_STDERR, then a short answer
 *   mode=exitonce&arg=F  the first instance to create file F exits at once (before any output); others answer
 *   mode=env             every CGI variable, one NAME=value per line
 *   mode=malformed       a header block that is not one
 *   mode=nothing         END_REQUEST without any output
 *   (anything else)      "pid N"
 *
 * Build: cc -O2 -o fcgi-test fcgi-test.c -lfcgi   (Debian: libfcgi-dev)
 */
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The value of NAME in a query string "a=1&b=2" (copied into out), or NULL. */
static const char *param(const char *query, const char *name, char *out, size_t size)
{
    size_t len = strlen(name);
    const char *p = query;
    while (p && *p) {
        if (strncmp(p, name, len) == 0 && p[len] == '=') {
            const char *v = p + len + 1;
            size_t n = strcspn(v, "&");
            if (n >= size)
                n = size - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return out;
        }
        p = strchr(p, '&');
        if (p)
            p++;
    }
    return NULL;
}

static long number(const char *query, const char *name, long fallback)
{
    char buf[64];
    return param(query, name, buf, sizeof buf) ? atol(buf) : fallback;
}

static void echo(FCGX_Request *r)
{
    unsigned long long hash = 14695981039346656037ULL; /* FNV-1a 64 offset basis */
    long long length = 0;
    char buf[65536];
    int n;
    while ((n = FCGX_GetStr(buf, sizeof buf, r->in)) > 0) {
        for (int i = 0; i < n; i++) {
            hash ^= (unsigned char)buf[i];
            hash *= 1099511628211ULL;
        }
        length += n;
    }
    FCGX_FPrintF(r->out, "Content-Type: text/plain\r\n\r\nlength=%lld fnv=%016llx\n", length, hash);
}

static void big(FCGX_Request *r, long bytes, int withLength)
{
    static char block[65536];
    if (withLength)
        FCGX_FPrintF(r->out, "Content-Type: application/octet-stream\r\nContent-Length: %ld\r\n\r\n", bytes);
    else
        FCGX_FPrintF(r->out, "Content-Type: application/octet-stream\r\n\r\n");
    for (long sent = 0; sent < bytes;) {
        long n = bytes - sent < (long)sizeof block ? bytes - sent : (long)sizeof block;
        for (long i = 0; i < n; i++)
            block[i] = (char)(((sent + i) * 31 + 7) & 255);
        if (FCGX_PutStr(block, (int)n, r->out) < 0)
            return;
        sent += n;
    }
}

static void slow(FCGX_Request *r, long chunks, long ms)
{
    FCGX_FPrintF(r->out, "Content-Type: text/plain\r\n\r\n");
    for (long i = 1; i <= chunks; i++) {
        if (FCGX_FPrintF(r->out, "chunk %ld\n", i) < 0 || FCGX_FFlush(r->out) < 0) {
            fprintf(stderr, "fcgi-test[%d]: the web server went away after %ld chunk(s)\n", (int)getpid(), i - 1);
            return;
        }
        usleep((useconds_t)ms * 1000);
    }
}

/* Waits without answering until the web server closes the connection or sends something (ABORT_REQUEST). */
static void hang(FCGX_Request *r)
{
    struct pollfd p = { .fd = r->ipcFd, .events = POLLIN };
    while (poll(&p, 1, 60000) == 0)
        ;
    char c;
    if (recv(r->ipcFd, &c, 1, MSG_PEEK) <= 0)
        fprintf(stderr, "fcgi-test[%d]: the web server closed the connection while I hung\n", (int)getpid());
    else
        fprintf(stderr, "fcgi-test[%d]: the web server sent a record (an abort) while I hung\n", (int)getpid());
}

int main(void)
{
    FCGX_Request r;
    if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
        return 1;

    while (FCGX_Accept_r(&r) >= 0) {
        const char *query = FCGX_GetParam("QUERY_STRING", r.envp);
        char mode[64] = "", arg[512] = "";
        if (!query)
            query = "";
        param(query, "mode", mode, sizeof mode);
        param(query, "arg", arg, sizeof arg);

        if (strcmp(mode, "echo") == 0) {
            echo(&r);
        } else if (strcmp(mode, "big") == 0) {
            big(&r, number(query, "n", 0), number(query, "cl", 0) != 0);
        } else if (strcmp(mode, "headers") == 0) {
            FCGX_FPrintF(r.out, "Content-Type: text/plain\r\nX-Test: one\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
                                "X-Multi: x\r\nX-Multi: y\r\nCache-Control: no-cache\r\n\r\nheaders\n");
        } else if (strcmp(mode, "status") == 0) {
            FCGX_FPrintF(r.out, "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnot here\n");
        } else if (strcmp(mode, "redirect") == 0) {
            FCGX_FPrintF(r.out, "Location: http://example.test/elsewhere\r\n\r\n");
        } else if (strcmp(mode, "slow") == 0) {
            slow(&r, number(query, "n", 5), number(query, "ms", 200));
        } else if (strcmp(mode, "freeze") == 0) {
            sleep(600);
        } else if (strcmp(mode, "hang") == 0) {
            hang(&r);
        } else if (strcmp(mode, "stderr") == 0) {
            FCGX_FPrintF(r.err, "first line to stderr\nsecond line ");
            FCGX_FPrintF(r.err, "in two writes\n");
            FCGX_FPrintF(r.out, "Content-Type: text/plain\r\n\r\nwrote to stderr\n");
        } else if (strcmp(mode, "exitonce") == 0) {
            int fd = open(arg, O_CREAT | O_EXCL | O_WRONLY, 0600);
            if (fd >= 0) {
                fprintf(stderr, "fcgi-test[%d]: exiting before answering, as asked\n", (int)getpid());
                _exit(3);
            }
            FCGX_FPrintF(r.out, "Content-Type: text/plain\r\n\r\nsurvivor pid %d\n", (int)getpid());
        } else if (strcmp(mode, "env") == 0) {
            FCGX_FPrintF(r.out, "Content-Type: text/plain\r\n\r\n");
            for (char **e = r.envp; *e; e++)
                FCGX_FPrintF(r.out, "%s\n", *e);
        } else if (strcmp(mode, "malformed") == 0) {
            FCGX_FPrintF(r.out, "this is not a header\r\n\r\nbody\n");
        } else if (strcmp(mode, "nothing") == 0) {
            /* END_REQUEST only. */
        } else {
            FCGX_FPrintF(r.out, "Content-Type: text/plain\r\n\r\npid %d\n", (int)getpid());
        }
        FCGX_Finish_r(&r);
        if (strcmp(mode, "wedge") == 0)
            sleep(600);
    }
    return 0;
}
