using System.Globalization;

namespace Portico.Configuration;

/// <summary>Sizes as operators write them: "512", "64KiB", "10MiB", "1GiB", "10MB" (decimal units too).</summary>
internal static class ByteSize
{
    private static readonly (string Unit, long Factor)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
    ];

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim();
        var factor = 1L;
        foreach (var (unit, f) in Units)
        {
            if (s.EndsWith(unit, StringComparison.Ordinal))
            {
                (s, factor) = (s[..^unit.Length].TrimEnd(), f);
                break;
            }
        }

        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number * factor > long.MaxValue / 2)
        {
            return false;
        }

        bytes = (long)(number * factor);
        return true;
    }
}
