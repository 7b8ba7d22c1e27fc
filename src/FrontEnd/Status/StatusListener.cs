using Pm.FrontEnd.Hosting;

namespace Pm.FrontEnd.Status;

/// <summary>
/// The status listener (PmStatusListen) in a web process: the PM opens it, as the HTTP and FastCGI ones, and hands it
/// to every web process on <see cref="Descriptor"/>. Every web process accepts on it, so it answers however many there
/// are and while one is replaced; the PM itself serves no HTTP and stays small.
/// </summary>
public static class StatusListener
{
    /// <summary>The descriptor it is on in a web process: after the dispatcher's (4).</summary>
    public const int Descriptor = 5;

    /// <summary>Whether the PM passed a listening socket on <see cref="Descriptor"/> (Kestrel takes it by its number).</summary>
    public static bool Inherited() => InheritedListener.IsListening(Descriptor);
}
