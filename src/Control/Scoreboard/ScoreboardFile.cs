using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Text;

namespace Pm.Scoreboard;

/// <summary>
/// A scoreboard file mapped shared (MAP_SHARED through MemoryMappedFile): the writer (its web process) creates it at
/// its full size, sparse, so only the pages of apps and slots in use take memory; a reader maps it read-only. Values
/// are read and written through references into the mapping, with <see cref="Interlocked"/> and <see cref="Volatile"/>,
/// never through a copy.
/// </summary>
public sealed unsafe class ScoreboardFile : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;

    private ScoreboardFile(MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        _file = file;
        _view = view;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
        _base += view.PointerOffset;
    }

    public string? Path { get; private init; }

    /// <summary>Creates (replaces) the file at <paramref name="path"/>, 0600, at the layout's size, and writes its header.</summary>
    public static ScoreboardFile Create(string path, int pid, long startedUnixMs)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using var stream = new FileStream(path, options);
        stream.SetLength(ScoreboardLayout.FileSize);
        var file = MemoryMappedFile.CreateFromFile(stream, null, ScoreboardLayout.FileSize, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        var board = new ScoreboardFile(file, file.CreateViewAccessor(0, ScoreboardLayout.FileSize, MemoryMappedFileAccess.ReadWrite)) { Path = path };
        board.Int(ScoreboardLayout.HeaderPid) = pid;
        board.Int(ScoreboardLayout.HeaderAppCapacity) = ScoreboardLayout.AppCapacity;
        board.Int(ScoreboardLayout.HeaderSlotCapacity) = ScoreboardLayout.SlotCapacity;
        board.Int(ScoreboardLayout.HeaderBucketCount) = ScoreboardLayout.Buckets;
        board.Long(ScoreboardLayout.HeaderStarted) = startedUnixMs;
        Volatile.Write(ref board.ULong(0), ScoreboardLayout.Magic);
        return board;
    }

    /// <summary>Maps an existing file to read; null when it is not a scoreboard of this layout (or is gone).</summary>
    public static ScoreboardFile? Open(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < ScoreboardLayout.FileSize)
            {
                return null;
            }

            var file = MemoryMappedFile.CreateFromFile(stream, null, ScoreboardLayout.FileSize, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            var board = new ScoreboardFile(file, file.CreateViewAccessor(0, ScoreboardLayout.FileSize, MemoryMappedFileAccess.Read)) { Path = path };
            if (Volatile.Read(ref board.ULong(0)) != ScoreboardLayout.Magic || board.Int(ScoreboardLayout.HeaderAppCapacity) != ScoreboardLayout.AppCapacity ||
                board.Int(ScoreboardLayout.HeaderSlotCapacity) != ScoreboardLayout.SlotCapacity || board.Int(ScoreboardLayout.HeaderBucketCount) != ScoreboardLayout.Buckets)
            {
                board.Dispose();
                return null;
            }

            return board;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public ref long Long(int offset) => ref Unsafe.AsRef<long>(At(offset, 8));

    public ref ulong ULong(int offset) => ref Unsafe.AsRef<ulong>(At(offset, 8));

    public ref int Int(int offset) => ref Unsafe.AsRef<int>(At(offset, 4));

    /// <summary>Bytes of the mapping, for names, methods and URIs (written before the slot or app is published).</summary>
    public Span<byte> Bytes(int offset, int length) => new(At(offset, length), length);

    /// <summary>UTF-8 text at <paramref name="offset"/>, its length bounded by <paramref name="max"/>.</summary>
    public string Text(int offset, int length, int max) => Encoding.UTF8.GetString(Bytes(offset, Math.Clamp(length, 0, max)));

    private byte* At(int offset, int length)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        if ((uint)offset > (uint)(ScoreboardLayout.FileSize - length))
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "outside the scoreboard");
        }

        return _base + offset;
    }

    public void Dispose()
    {
        if (_base != null)
        {
            _base = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        _view.Dispose();
        _file.Dispose();
    }
}
