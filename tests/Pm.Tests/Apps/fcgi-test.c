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
 *   mode=stderrhang      one line on FCGI_STDERR, flushed, then as mode=hang (no answer until the connection goes)
 *   mode=exitonce&arg=F  the first instance to create file F exits at once (before any output); others answer
 *   mode=env             every CGI variable, one NAME=value per line
 *   mode=malformed       a header block that is not one
 *   mode=nothing         END_REQUEST without any output
 *   mode=grow&n=MB       malloc MB more (default 4), write every byte (non-zero) and never free it (a leaking
 *                        app); answers "grown T MB after R requests", T the MB grown by this process so far and R
 *                        the requests it has served, this one included
 *   mode=count           "pid=P count=R": this process's pid and the requests it has served, this one included
 *   (anything else)      "pid N"
 *
 * Preloading, chosen at start-up by the environment rather than per request (php-cgi's PHP_FCGI_CHILDREN model):
 * with FCGI_TEST_PRELOAD_MB=N set (N may be 0), the process first mallocs and writes N MB, then forks
 * FCGI_TEST_CHILDREN children (default 2) that all accept on fd 0 and answer as above, while the parent only waits.
 * The children share the preloaded pages copy-on-write, so the group's RSS is about (children+1) x N MB while its
 * private memory stays small. The parent forwards SIGTERM to its children and exits once they have all exited
 * (it does not replace one that exits); a child gets SIGTERM if the parent dies first. FCGI_TEST_CHILDREN=0: the
 * process preloads and accepts itself.
 *
 * Build: cc -O2 -o fcgi-test fcgi-test.c -lfcgi   (Debian: libfcgi-dev)
 */
#include <fcgiapp.h>
#include <fcntl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every block grown or preloaded, chained through its first word: reachable from a global with external linkage,
 * so the compiler cannot prove the memory unused and drop the malloc and the memset. */
void *fcgi_test_blocks;

static long served;   /* requests this process has accepted, the current one included */
static long grownMb;  /* MB grown by mode=grow in this process */

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

/* mallocs MB megabytes, writes every byte and keeps the block forever; 0 if malloc failed. */
static int keep(long mb)
{
    size_t size = (size_t)mb << 20;
    if (mb <= 0)
        return 1;
    char *block = malloc(size);
    if (!block)
        return 0;
    memset(block, 0x5a, size);
    *(void **)block = fcgi_test_blocks;
    fcgi_test_blocks = block;
    return 1;
}

static volatile sig_atomic_t terminating;

static void onTerm(int sig)
{
    (void)sig;
    terminating = 1;
}

/* The preloading parent: forks the children, then waits for them all, forwarding SIGTERM. Returns only in a child
 * (0) or when FCGI_TEST_CHILDREN=0; otherwise exits. */
static void preload(const char *preloadMb)
{
    const char *childrenText = getenv("FCGI_TEST_CHILDREN");
    long children = childrenText ? atol(childrenText) : 2;
    if (!keep(atol(preloadMb))) {
        fprintf(stderr, "fcgi-test[%d]: cannot preload %s MB\n", (int)getpid(), preloadMb);
        exit(1);
    }
    if (children <= 0)
        return;

    /* SIGTERM blocked across the forks: a child must not run the parent's handler, and the parent must not miss one. */
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old);
    pid_t parent = getpid();
    pid_t *pids = calloc((size_t)children, sizeof *pids);
    long started = 0;
    for (long i = 0; i < children; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent)
                _exit(1);
            sigprocmask(SIG_SETMASK, &old, NULL);
            return;
        }
        if (pid < 0) {
            fprintf(stderr, "fcgi-test[%d]: fork: %s\n", (int)getpid(), strerror(errno));
            break;
        }
        pids[started++] = pid;
    }

    struct sigaction sa = { .sa_handler = onTerm }; /* no SA_RESTART: waitpid returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    int forwarded = 0;
    long left = started;
    while (left > 0) {
        if (terminating && !forwarded) {
            for (long i = 0; i < started; i++)
                if (pids[i] > 0)
                    kill(pids[i], SIGTERM);
            forwarded = 1;
        }
        pid_t done = waitpid(-1, NULL, 0);
        if (done > 0) {
            for (long i = 0; i < started; i++)
                if (pids[i] == done)
                    pids[i] = 0;
            left--;
        } else if (errno == ECHILD) {
            break;
        }
    }
    exit(0);
}

int main(void)
{
    const char *preloadMb = getenv("FCGI_TEST_PRELOAD_MB");
    if (preloadMb)
        preload(preloadMb);

    FCGX_Request r;
    if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
        return 1;

    while (FCGX_Accept_r(&r) >= 0) {
        served++;
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
        } else if (strcmp(mode, "stderrhang") == 0) {
            FCGX_FPrintF(r.err, "logged before hanging\n");
            FCGX_FFlush(r.err);
            hang(&r);
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
        } else if (strcmp(mode, "grow") == 0) {
            long mb = number(query, "n", 4);
            if (keep(mb)) {
                grownMb += mb > 0 ? mb : 0;
                FCGX_FPrintF(r.out, "Content-Type: text/plain\r\n\r\ngrown %ld MB after %ld requests\n", grownMb, served);
            } else {
                FCGX_FPrintF(r.out, "Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\n"
                                    "cannot grow by %ld MB\n", mb);
            }
        } else if (strcmp(mode, "count") == 0) {
            FCGX_FPrintF(r.out, "Content-Type: text/plain\r\n\r\npid=%d count=%ld\n", (int)getpid(), served);
        } else {
            FCGX_FPrintF(r.out, "Content-Type: text/plain\r\n\r\npid %d\n", (int)getpid());
        }
        FCGX_Finish_r(&r);
        if (strcmp(mode, "wedge") == 0)
            sleep(600);
    }
    return 0;
}
