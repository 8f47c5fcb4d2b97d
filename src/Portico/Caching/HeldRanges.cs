namespace Portico.Caching;

/// <summary>
/// What a partial entry holds of its representation (RFC 9111 §3.3): the complete length and the
/// byte ranges held, sorted, disjoint and never adjacent. The entry's body is those ranges'
/// bytes one after the other, so its size is the bytes held, not the complete length.
/// </summary>
internal sealed record HeldRanges(long Length, IReadOnlyList<(long From, long To)> Spans)
{
    /// <summary>Bytes held.</summary>
    public long Held => Spans.Sum(s => s.To - s.From + 1);

    /// <summary>Whether every byte of the representation is held (§3.4: the entry can then be a complete response).</summary>
    public bool Complete => Spans is [(0, var to)] && to == Length - 1;

    /// <summary>Whether bytes <paramref name="from"/> to <paramref name="to"/> (inclusive) are all held.</summary>
    public bool Covers(long from, long to) => Spans.Any(s => s.From <= from && to <= s.To);

    /// <summary>Where byte <paramref name="at"/> of the representation is in the body; it must be held.</summary>
    public long OffsetOf(long at)
    {
        var offset = 0L;
        foreach (var (from, to) in Spans)
        {
            if (at <= to)
            {
                return offset + (at - from);
            }

            offset += to - from + 1;
        }

        throw new ArgumentOutOfRangeException(nameof(at));
    }

    /// <summary>
    /// The one range to ask the origin for so that <paramref name="from"/>–<paramref name="to"/>
    /// is held: from its first byte not held to its last (held bytes between them come again,
    /// as one range is what every origin answers with a plain 206).
    /// </summary>
    public (long From, long To) Missing(long from, long to)
    {
        var first = from;
        while (Containing(first) is { } span)
        {
            first = span.To + 1;
        }

        var last = to;
        while (Containing(last) is { } span)
        {
            last = span.From - 1;
        }

        return (first, last);
    }

    /// <summary>These ranges with <paramref name="from"/>–<paramref name="to"/> added, merged where they overlap or touch.</summary>
    public HeldRanges With(long from, long to)
    {
        var spans = Spans.Append((From: from, To: to)).OrderBy(s => s.From).ToList();
        var merged = new List<(long From, long To)>();
        foreach (var span in spans)
        {
            if (merged.Count > 0 && span.From <= merged[^1].To + 1)
            {
                merged[^1] = (merged[^1].From, Math.Max(merged[^1].To, span.To));
            }
            else
            {
                merged.Add(span);
            }
        }

        return this with { Spans = merged };
    }

    private (long From, long To)? Containing(long at)
    {
        foreach (var span in Spans)
        {
            if (span.From <= at && at <= span.To)
            {
                return span;
            }
        }

        return null;
    }

    public override string ToString() => string.Join(",", Spans.Select(s => $"{s.From}-{s.To}")) + "/" + Length;
}
