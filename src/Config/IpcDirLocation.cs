namespace Pm.Config;

/// <summary>
/// Where the IPC files really live for a configured IPC dir (FastCgiIpcDir, --ipc-dir or the default), and why:
/// the directory itself when it does not exist yet (the PM creates it) or when the PM created it before (it holds
/// <see cref="IpcLayout.CreatedMarker"/>); otherwise the directory is someone else's, a shared one such as /tmp, and
/// the PM uses its own subdirectory <c>pm-UID</c> in it rather than change a mode it has no business changing.
/// Computed by <see cref="IpcLayout.Locate"/> from what is on disk, the same way by the PM, its web processes and
/// the CLI, so that all find the same sockets.
/// </summary>
/// <param name="Configured">The directory as configured.</param>
/// <param name="Path">The directory the PM uses: <paramref name="Configured"/> or its pm-UID subdirectory.</param>
public sealed record IpcDirLocation(string Configured, string Path, IpcDirLocation.Origin How)
{
    public enum Origin
    {
        /// <summary>Nothing at the configured path: the PM creates it, with the marker.</summary>
        ToBeCreated,

        /// <summary>The configured directory holds the marker: the PM created it and may set its mode.</summary>
        CreatedByPm,

        /// <summary>An existing directory the PM did not create: the PM uses its own subdirectory in it.</summary>
        InsideExisting,

        /// <summary>Something that is not a directory (or a symbolic link), or cannot be looked at: the PM refuses it.</summary>
        Unusable,
    }

    /// <summary>Whether <see cref="Path"/> is the PM's subdirectory of an existing directory.</summary>
    public bool IsSubdirectory => How == Origin.InsideExisting;

    /// <summary>Why this directory, for the PM's log.</summary>
    public string Reason => How switch
    {
        Origin.ToBeCreated => "it does not exist yet: the PM creates it",
        Origin.CreatedByPm => $"the PM created it before ({IpcLayout.CreatedMarkerName} is in it)",
        Origin.InsideExisting => $"{Configured} is an existing directory the PM did not create (no {IpcLayout.CreatedMarkerName} in it): the PM uses its own subdirectory and leaves {Configured} as it is",
        _ => "it is not a directory the PM can use",
    };
}
