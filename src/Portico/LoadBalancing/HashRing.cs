using System.IO.Hashing;
using System.Text;

namespace Portico.LoadBalancing;

/// <summary>
/// A consistent-hash ring: every destination owns (weight × <see cref="PointsPerWeight"/>) points,
/// so adding or removing one destination moves only the keys that land next to its points.
/// The hash is XXH3 with its default seed: stable across processes, so several Portico
/// instances send a key to the same backend.
/// </summary>
internal sealed class HashRing
{
    public const int PointsPerWeight = 160;

    private readonly ulong[] _points;
    private readonly string[] _owners;

    public HashRing(IEnumerable<(string Destination, int Weight)> destinations)
    {
        var points = new List<(ulong Point, string Owner)>();
        foreach (var (destination, weight) in destinations)
        {
            for (var i = 0; i < weight * PointsPerWeight; i++)
            {
                points.Add((Hash($"{destination}#{i}"), destination));
            }
        }

        points.Sort((a, b) => a.Point.CompareTo(b.Point));
        _points = points.Select(p => p.Point).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
    }

    /// <summary>Walks clockwise from the key's hash; returns the first owner that <paramref name="accept"/> takes.</summary>
    public string? Find(ulong keyHash, Func<string, bool> accept)
    {
        if (_points.Length == 0)
        {
            return null;
        }

        var index = Array.BinarySearch(_points, keyHash);
        if (index < 0)
        {
            index = ~index;
        }

        for (var step = 0; step < _points.Length; step++)
        {
            var owner = _owners[(index + step) % _points.Length];
            if (accept(owner))
            {
                return owner;
            }
        }

        return null;
    }

    public static ulong Hash(string key)
    {
        Span<byte> buffer = stackalloc byte[256];
        var bytes = key.Length <= 64 ? buffer[..Encoding.UTF8.GetBytes(key, buffer)] : Encoding.UTF8.GetBytes(key);
        return XxHash3.HashToUInt64(bytes);
    }
}
