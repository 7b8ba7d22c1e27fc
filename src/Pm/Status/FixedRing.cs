namespace Pm.Status;

/// <summary>
/// The last <see cref="Capacity"/> items added, oldest first: an array written round, so that adding never
/// allocates and a long-running PM holds a bounded history. Not thread-safe (the supervisor loop owns it).
/// </summary>
public sealed class FixedRing<T>
{
    private readonly T[] _items;
    private int _next;

    public FixedRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _items = new T[capacity];
    }

    public int Capacity => _items.Length;

    public int Count { get; private set; }

    /// <summary>Adds an item, overwriting the oldest once full.</summary>
    public void Add(T item)
    {
        _items[_next] = item;
        _next = (_next + 1) % _items.Length;
        Count = Math.Min(Count + 1, _items.Length);
    }

    /// <summary>The newest item; throws when empty.</summary>
    public T Last => Count > 0 ? _items[(_next - 1 + _items.Length) % _items.Length] : throw new InvalidOperationException("the ring is empty");

    /// <summary>The items, oldest first.</summary>
    public IEnumerable<T> Items()
    {
        var first = (_next - Count + _items.Length) % _items.Length;
        for (var i = 0; i < Count; i++)
        {
            yield return _items[(first + i) % _items.Length];
        }
    }
}
