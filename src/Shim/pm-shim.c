/*
 * pm-shim: preloaded (LD_PRELOAD) by the PM into every app instance it spawns, so that with one listening socket
 * shared by all of an app's instances (FCGI_LISTENSOCK_FILENO, fd 0) the PM still knows, exactly, how many
 * connections each instance has taken, and can tell one instance to take no more.
 *
 * The PM passes a shared memory page (a memfd) on the descriptor named by PM_SHIM_FD; its layout is the one
 * src/Pm/Spawning/InstancePage.cs reads and writes (keep the two in step). Every process of the instance maps the
 * same page: php-cgi's PHP_FCGI_CHILDREN workers inherit the mapping through fork, and a wrapper script that execs
 * the real app maps it again, since the environment and the descriptor survive the exec.
 *
 * Only accept(2) and accept4(2) on fd 0 are touched. A connection whose peer is bound to the abstract address
 * "\0pm-mgmt/..." is a web process's management connection (FCGI_GET_VALUES): counted apart, not as a request. Before each one the shim reserves a place under the limit the
 * PM set (-max-requests) and checks the PM's stop word (a retirement); a process refused either way takes nothing
 * more: on a blocking socket it waits in pause(2) until a signal (SIGTERM ends it), on a non-blocking one it
 * answers EAGAIN, as if the queue were empty. A reservation whose accept fails is given back, so with several
 * processes accepting at once the instance never takes more than the limit.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PM_PAGE_MAGIC 0x314d5350u /* "PSM1" little-endian */

struct pm_page {
    uint32_t magic;          /* PM: PM_PAGE_MAGIC */
    uint32_t loaded;         /* shim: 1 once a process of the instance has mapped the page */
    uint64_t accepted;       /* shim: connections accepted on fd 0 by the whole instance */
    uint64_t reserved;       /* shim: places taken under the limit (accepted + accepts under way) */
    uint64_t limit;          /* PM: take at most this many connections (0: no limit) */
    uint32_t stop;           /* PM: 1 = take no new connection (the instance is being retired) */
    uint32_t refused;        /* shim: 1 once a process of the instance has refused to accept */
    int64_t last_accept_ns;  /* shim: CLOCK_REALTIME of the last accept, in ns */
    uint32_t in_accept;      /* shim: processes inside accept(2) now */
    uint32_t pad;
    uint64_t management;     /* shim: connections accepted that were management only (a web process's FCGI_GET_VALUES) */
};

static struct pm_page *page;
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);

__attribute__((constructor)) static void pm_shim_init(void)
{
    const char *fd_text = getenv("PM_SHIM_FD");
    if (fd_text == NULL || *fd_text == 0) {
        return;
    }

    char *end;
    long fd = strtol(fd_text, &end, 10);
    if (*end != 0 || fd < 0) {
        return;
    }

    void *p = mmap(NULL, sizeof(struct pm_page), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
    if (p == MAP_FAILED || ((struct pm_page *)p)->magic != PM_PAGE_MAGIC) {
        if (p != MAP_FAILED) {
            munmap(p, sizeof(struct pm_page));
        }
        return;
    }

    page = p;
    __atomic_store_n(&page->loaded, 1, __ATOMIC_RELEASE);
}

/* Reserves a place for one more connection; 0 when the instance must take no more. */
static int reserve(void)
{
    if (__atomic_load_n(&page->stop, __ATOMIC_ACQUIRE)) {
        return 0;
    }

    uint64_t limit = __atomic_load_n(&page->limit, __ATOMIC_ACQUIRE);
    uint64_t taken = __atomic_add_fetch(&page->reserved, 1, __ATOMIC_ACQ_REL);
    if (limit != 0 && taken > limit) {
        __atomic_sub_fetch(&page->reserved, 1, __ATOMIC_ACQ_REL);
        return 0;
    }

    return 1;
}

static int refuse(int fd)
{
    __atomic_store_n(&page->refused, 1, __ATOMIC_RELEASE);
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK)) {
        errno = EAGAIN;
        return -1;
    }

    pause();
    errno = EINTR;
    return -1;
}

/*
 * Whether the connection comes from a web process's management connection: one bound, before it connected, to the
 * abstract address "\0pm-mgmt/..." (src/FrontEnd/Apps/AppConnector.cs), so FCGI_GET_VALUES is not counted as a request.
 */
/* addr/addr_len: what accept(2) filled in; given: the buffer's size before the call (the kernel truncates to it). */
static int is_management(int fd, const struct sockaddr *addr, const socklen_t *addr_len, socklen_t given)
{
    static const char prefix[] = "pm-mgmt/";
    const size_t head = offsetof(struct sockaddr_un, sun_path);
    struct sockaddr_un peer;
    socklen_t len;
    if (addr != NULL && addr_len != NULL && *addr_len <= given) {
        /* accept(2) filled in the peer's whole address already (libfcgi and php-cgi ask for it): no syscall more.
           A web process's request connection is unbound, and its address is the family alone. */
        if (*addr_len < head + sizeof prefix || *addr_len > sizeof peer) {
            return 0;
        }

        len = *addr_len;
        memcpy(&peer, addr, len);
    } else {
        len = sizeof peer;
        if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0) {
            return 0;
        }
    }

    return peer.sun_family == AF_UNIX && len >= head + sizeof prefix && peer.sun_path[0] == 0 &&
        memcmp(peer.sun_path + 1, prefix, sizeof prefix - 1) == 0;
}

static int after(int result, const struct sockaddr *addr, const socklen_t *addr_len, socklen_t given)
{
    int saved = errno;
    __atomic_sub_fetch(&page->in_accept, 1, __ATOMIC_ACQ_REL);
    if (result >= 0 && is_management(result, addr, addr_len, given)) {
        __atomic_sub_fetch(&page->reserved, 1, __ATOMIC_ACQ_REL);
        __atomic_add_fetch(&page->management, 1, __ATOMIC_ACQ_REL);
    } else if (result >= 0) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        __atomic_store_n(&page->last_accept_ns, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, __ATOMIC_RELEASE);
        __atomic_add_fetch(&page->accepted, 1, __ATOMIC_ACQ_REL);
    } else {
        __atomic_sub_fetch(&page->reserved, 1, __ATOMIC_ACQ_REL);
    }

    errno = saved;
    return result;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    if (real_accept == NULL) {
        real_accept = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
    }

    if (fd != 0 || page == NULL) {
        return real_accept(fd, addr, len);
    }

    if (!reserve()) {
        return refuse(fd);
    }

    socklen_t given = len != NULL ? *len : 0;
    __atomic_add_fetch(&page->in_accept, 1, __ATOMIC_ACQ_REL);
    return after(real_accept(fd, addr, len), addr, len, given);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    if (real_accept4 == NULL) {
        real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
    }

    if (fd != 0 || page == NULL) {
        return real_accept4(fd, addr, len, flags);
    }

    if (!reserve()) {
        return refuse(fd);
    }

    socklen_t given = len != NULL ? *len : 0;
    __atomic_add_fetch(&page->in_accept, 1, __ATOMIC_ACQ_REL);
    return after(real_accept4(fd, addr, len, flags), addr, len, given);
}
