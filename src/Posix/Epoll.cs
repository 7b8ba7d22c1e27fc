using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>An epoll instance plus an eventfd to wake its waiter. epoll_ctl may be called from any thread.</summary>
public sealed unsafe class Epoll : IDisposable
{
    private readonly int _epfd;
    private readonly int _wakeFd;
    private const ulong WakeToken = ulong.MaxValue;

    public Epoll()
    {
        _epfd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (_epfd < 0)
        {
            throw PosixException.FromLastError("epoll_create1");
        }

        _wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wakeFd < 0)
        {
            throw PosixException.FromLastError("eventfd");
        }

        Add(_wakeFd, WakeToken);
    }

    /// <summary>Watches fd for readability (and hang-up); token comes back from <see cref="Wait"/>.</summary>
    public void Add(int fd, ulong token)
    {
        var ev = new Libc.epoll_event { events = Libc.EPOLLIN, data = token };
        if (Libc.epoll_ctl(_epfd, Libc.EPOLL_CTL_ADD, fd, &ev) != 0)
        {
            throw PosixException.FromLastError("epoll_ctl(ADD)", $"fd {fd}");
        }
    }

    public void Remove(int fd)
    {
        var ev = default(Libc.epoll_event);
        _ = Libc.epoll_ctl(_epfd, Libc.EPOLL_CTL_DEL, fd, &ev);
    }

    /// <summary>Makes a blocked <see cref="Wait"/> return.</summary>
    public void Wake()
    {
        ulong one = 1;
        _ = Libc.write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    /// <summary>epoll_wait; fills tokens of ready descriptors (wake-ups are consumed, not reported).</summary>
    public int Wait(Span<ulong> tokens, int timeoutMs)
    {
        var events = stackalloc Libc.epoll_event[tokens.Length];
        int n;
        while ((n = Libc.epoll_wait(_epfd, events, tokens.Length, timeoutMs)) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EINTR)
            {
                throw new PosixException("epoll_wait", errno);
            }
        }

        var count = 0;
        for (var i = 0; i < n; i++)
        {
            if (events[i].data == WakeToken)
            {
                ulong drained;
                _ = Libc.read(_wakeFd, (byte*)&drained, sizeof(ulong));
                continue;
            }

            tokens[count++] = events[i].data;
        }

        return count;
    }

    public void Dispose()
    {
        FileDescriptor.Close(_wakeFd);
        FileDescriptor.Close(_epfd);
    }
}
