using System.Runtime.CompilerServices;
using Pm.Posix;

namespace Pm.Spawning;

/// <summary>
/// The page an instance shares with the PM through libpm-shim.so (src/Shim/pm-shim.c, which has the same layout:
/// keep the two in step). The shim, preloaded into every process of the instance, counts the connections they
/// accept on fd 0 and honours the limit and the stop word the PM writes here. Read and written by the supervisor
/// loop only on the PM's side; every field is read with acquire and written with release semantics, as the shim does.
/// </summary>
public sealed unsafe class InstancePage : IDisposable
{
    /// <summary>The descriptor the app finds the page on (named in PM_SHIM_FD).</summary>
    public const int ChildDescriptor = 3;

    private const uint Magic = 0x314d5350; // "PSM1"
    private const int Size = 64;
    private const int LoadedAt = 4, AcceptedAt = 8, ReservedAt = 16, LimitAt = 24, StopAt = 32, RefusedAt = 36, LastAcceptAt = 40, InAcceptAt = 48, ManagementAt = 56;

    private readonly SharedMemoryPage _page;

    private InstancePage(SharedMemoryPage page) => _page = page;

    /// <summary>A fresh page: no connection counted, no limit, not stopped.</summary>
    public static InstancePage Create()
    {
        var page = new InstancePage(SharedMemoryPage.Create("pm-instance", Size));
        Unsafe.Write((void*)page._page.Address, Magic);
        return page;
    }

    /// <summary>This process's descriptor of the page, for the spawn to dup2 onto <see cref="ChildDescriptor"/>; -1 once closed.</summary>
    public int Descriptor => _page.Descriptor;

    /// <summary>Closes the PM's descriptor once the child has its copy (the mapping stays).</summary>
    public void CloseDescriptor() => _page.CloseDescriptor();

    /// <summary>Whether the shim runs in the instance (a process of it mapped the page): until then nothing is counted.</summary>
    public bool ShimLoaded => Read32(LoadedAt) != 0;

    /// <summary>Connections the instance's processes have accepted on fd 0: requests taken, for an app that does not multiplex.</summary>
    public long Accepted => (long)Read64(AcceptedAt);

    /// <summary>Accepted, plus accepts under way (a process waiting in accept(2) with a place reserved).</summary>
    public long Reserved => (long)Read64(ReservedAt);

    /// <summary>The most connections the instance may take (-max-requests with its jitter); 0: no limit.</summary>
    public long Limit
    {
        get => (long)Read64(LimitAt);
        set => Volatile.Write(ref Unsafe.AsRef<ulong>((void*)(_page.Address + LimitAt)), (ulong)value);
    }

    /// <summary>Whether the instance has been told to take no new connection (it is being retired).</summary>
    public bool StopAccepting
    {
        get => Read32(StopAt) != 0;
        set => Volatile.Write(ref Unsafe.AsRef<uint>((void*)(_page.Address + StopAt)), value ? 1u : 0u);
    }

    /// <summary>Whether a process of the instance has refused to accept (its limit reached, or told to stop).</summary>
    public bool Refused => Read32(RefusedAt) != 0;

    /// <summary>Management connections it accepted (a web process's FCGI_GET_VALUES): not requests, not in <see cref="Accepted"/>.</summary>
    public long Management => (long)Read64(ManagementAt);

    /// <summary>Processes of the instance inside accept(2) now.</summary>
    public int InAccept => (int)Read32(InAcceptAt);

    /// <summary>When a process of the instance last accepted a connection; null before the first.</summary>
    public DateTimeOffset? LastAccept => Read64(LastAcceptAt) is var ns and not 0
        ? DateTimeOffset.UnixEpoch.AddTicks((long)(ns / 100))
        : null;

    public void Dispose() => _page.Dispose();

    private uint Read32(int offset) => Volatile.Read(ref Unsafe.AsRef<uint>((void*)(_page.Address + offset)));

    private ulong Read64(int offset) => Volatile.Read(ref Unsafe.AsRef<ulong>((void*)(_page.Address + offset)));
}
