using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>
/// A small anonymous memory region shared with children: memfd_create (close-on-exec in this process), sized with
/// ftruncate and mapped MAP_SHARED. A child that gets <see cref="Descriptor"/> (dup2'd by the spawn) and maps it sees
/// the same bytes. Owned by one thread at a time; <see cref="Dispose"/> unmaps and closes.
/// </summary>
public sealed unsafe class SharedMemoryPage : IDisposable
{
    private nint _address;

    private SharedMemoryPage(int fd, nint address, int length)
    {
        Descriptor = fd;
        _address = address;
        Length = length;
    }

    public int Descriptor { get; private set; }

    public int Length { get; }

    /// <summary>The mapping; zero after <see cref="Dispose"/>.</summary>
    public nint Address => _address;

    /// <exception cref="PosixException">memfd_create, ftruncate or mmap failed.</exception>
    public static SharedMemoryPage Create(string name, int length)
    {
        var encoded = NativePath.Encode(name);
        int fd;
        fixed (byte* p = encoded)
        {
            fd = Libc.memfd_create(p, Libc.MFD_CLOEXEC);
        }

        if (fd < 0)
        {
            throw new PosixException("memfd_create", Marshal.GetLastPInvokeError(), name);
        }

        try
        {
            PosixFile.Truncate(fd, length);
            var address = Libc.mmap(0, (nuint)length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
            if (address == Libc.MAP_FAILED)
            {
                throw new PosixException("mmap", Marshal.GetLastPInvokeError(), name);
            }

            return new SharedMemoryPage(fd, address, length);
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    /// <summary>Closes this process's descriptor (once the child has its copy); the mapping stays.</summary>
    public void CloseDescriptor()
    {
        if (Descriptor >= 0)
        {
            Libc.close(Descriptor);
            Descriptor = -1;
        }
    }

    public void Dispose()
    {
        if (_address != 0)
        {
            Libc.munmap(_address, (nuint)Length);
            _address = 0;
        }

        if (Descriptor >= 0)
        {
            Libc.close(Descriptor);
            Descriptor = -1;
        }
    }
}
