namespace Portico.Caching;

/// <summary>
/// What one tier holds, variants and bytes, kept by the tier under its own lock and read by the
/// metrics and the admin API without taking it.
/// </summary>
internal sealed class StoreUsage
{
    private long _entries;
    private long _bytes;

    public long Bytes => Interlocked.Read(ref _bytes);

    public (long Entries, long Bytes) Now => (Interlocked.Read(ref _entries), Interlocked.Read(ref _bytes));

    public void Add(long bytes, long entries)
    {
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Add(ref _entries, entries);
    }
}
