using System.Runtime.InteropServices;
using System.Text;

namespace Pm.Posix;

/// <summary>
/// Starts children with posix_spawn(3), never fork: the .NET runtime is multi-threaded and forking it is unsafe.
/// posix_spawn gives, atomically before exec: a new process group (POSIX_SPAWN_SETPGROUP with pgroup 0, so no
/// setpgid race after exec), default signal dispositions and an empty mask (CoreCLR ignores SIGPIPE and
/// children would inherit that), dup2 of the listening socket onto fd 0 (FCGI_LISTENSOCK_FILENO), chdir and
/// closefrom. The caller owns reaping: the runtime does not track these pids.
/// </summary>
public static unsafe class PosixSpawn
{
    /// <summary>Starts the child and returns its pid (also its process group id when <see cref="SpawnOptions.NewProcessGroup"/>).</summary>
    /// <exception cref="PosixException">The spawn failed; ENOENT/EACCES come back here from exec in the child.</exception>
    public static int Start(SpawnOptions options)
    {
        var allocations = new List<IntPtr>();
        var attr = NativeMemory.AllocZeroed(Libc.SpawnStructSize);
        var actions = NativeMemory.AllocZeroed(Libc.SpawnStructSize);
        var sigset = NativeMemory.AllocZeroed(256);
        try
        {
            Check(Libc.posix_spawnattr_init(attr), "posix_spawnattr_init", options.Path);
            Check(Libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init", options.Path);
            try
            {
                short flags = 0;
                if (options.NewProcessGroup)
                {
                    flags |= Libc.POSIX_SPAWN_SETPGROUP;
                    Check(Libc.posix_spawnattr_setpgroup(attr, 0), "posix_spawnattr_setpgroup", options.Path);
                }

                if (options.ResetSignals)
                {
                    flags |= Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK;
                    Libc.sigfillset(sigset);
                    Check(Libc.posix_spawnattr_setsigdefault(attr, sigset), "posix_spawnattr_setsigdefault", options.Path);
                    Libc.sigemptyset(sigset);
                    Check(Libc.posix_spawnattr_setsigmask(attr, sigset), "posix_spawnattr_setsigmask", options.Path);
                }

                Check(Libc.posix_spawnattr_setflags(attr, flags), "posix_spawnattr_setflags", options.Path);

                var highest = 2;
                foreach (var (from, to) in options.Descriptors)
                {
                    Check(Libc.posix_spawn_file_actions_adddup2(actions, from, to), "posix_spawn_file_actions_adddup2", options.Path);
                    highest = Math.Max(highest, to);
                }

                if (options.WorkingDirectory is { } dir)
                {
                    var cdir = Utf8(dir, allocations);
                    Check(Libc.posix_spawn_file_actions_addchdir_np(actions, (byte*)cdir), "posix_spawn_file_actions_addchdir_np", options.Path);
                }

                if (options.CloseOtherDescriptors)
                {
                    Check(Libc.posix_spawn_file_actions_addclosefrom_np(actions, highest + 1), "posix_spawn_file_actions_addclosefrom_np", options.Path);
                }

                var path = Utf8(options.Path, allocations);
                var argv = StringArray(options.Arguments, allocations);
                var envp = StringArray(options.Environment, allocations);
                var rc = Libc.posix_spawn(out var pid, (byte*)path, actions, attr, (byte**)argv, (byte**)envp);
                if (rc != 0)
                {
                    throw new PosixException("posix_spawn", rc, options.Path);
                }

                return pid;
            }
            finally
            {
                Libc.posix_spawn_file_actions_destroy(actions);
                Libc.posix_spawnattr_destroy(attr);
            }
        }
        finally
        {
            NativeMemory.Free(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(sigset);
            foreach (var p in allocations)
            {
                NativeMemory.Free((void*)p);
            }
        }
    }

    private static void Check(int rc, string call, string subject)
    {
        if (rc != 0)
        {
            throw new PosixException(call, rc, subject);
        }
    }

    private static IntPtr Utf8(string s, List<IntPtr> allocations)
    {
        if (s.Contains('\0'))
        {
            throw new ArgumentException($"'{s}' contains a NUL character", nameof(s));
        }

        var count = Encoding.UTF8.GetByteCount(s);
        var p = (byte*)NativeMemory.Alloc((nuint)count + 1);
        allocations.Add((IntPtr)p);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, count));
        p[count] = 0;
        return (IntPtr)p;
    }

    private static IntPtr StringArray(IReadOnlyList<string> items, List<IntPtr> allocations)
    {
        var array = (IntPtr*)NativeMemory.AllocZeroed((nuint)(items.Count + 1), (nuint)sizeof(IntPtr));
        allocations.Add((IntPtr)array);
        for (var i = 0; i < items.Count; i++)
        {
            array[i] = Utf8(items[i], allocations);
        }

        return (IntPtr)array;
    }
}
