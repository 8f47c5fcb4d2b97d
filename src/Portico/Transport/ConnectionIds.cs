namespace Portico.Transport;

/// <summary>Connection ids in Kestrel's form (13 characters of base 32 from a counter seeded by the clock).</summary>
internal static class ConnectionIds
{
    private const string Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
    private static long _last = DateTime.UtcNow.Ticks;

    public static string Next()
    {
        var id = Interlocked.Increment(ref _last);
        return string.Create(13, id, static (chars, value) =>
        {
            for (var i = 12; i >= 0; i--)
            {
                chars[i] = Digits[(int)(value & 31)];
                value >>= 5;
            }
        });
    }
}
