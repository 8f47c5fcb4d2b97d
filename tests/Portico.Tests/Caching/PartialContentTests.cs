using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.Primitives;
using Portico.Caching;

namespace Portico.Tests.Caching;

/// <summary>RFC 9111 §3.3, §3.4: the ranges a stored part holds, the 206s it may be made of, and its disk file.</summary>
public sealed class PartialContentTests
{
    private static HeldRanges Held(long length, params (long, long)[] spans) => new(length, spans);

    [Theory]
    [InlineData(0, 4, 5, 9, "0-9/20")]      // adjacent: one range
    [InlineData(0, 9, 5, 14, "0-14/20")]    // overlapping
    [InlineData(10, 19, 0, 4, "0-4,10-19/20")]
    [InlineData(5, 9, 0, 19, "0-19/20")]    // a part that takes in the held range
    public void Added_ranges_are_merged_where_they_overlap_or_touch(long heldFrom, long heldTo, long from, long to, string expected)
        => Assert.Equal(expected, Held(20, (heldFrom, heldTo)).With(from, to).ToString());

    [Fact]
    public void Complete_when_the_ranges_cover_every_byte()
    {
        Assert.True(Held(20, (0, 9)).With(10, 19).Complete);
        Assert.False(Held(20, (0, 9)).With(11, 19).Complete);
        Assert.False(Held(20, (1, 19)).Complete);
    }

    [Theory]
    [InlineData(2, 17, 5, 14)]   // both ends held: the gap between
    [InlineData(0, 19, 5, 14)]
    [InlineData(3, 7, 5, 7)]     // the start held
    [InlineData(12, 18, 12, 14)] // the end held
    [InlineData(6, 8, 6, 8)]     // nothing held
    public void Missing_is_the_one_range_from_the_first_byte_not_held_to_the_last(long from, long to, long first, long last)
        => Assert.Equal((first, last), Held(20, (0, 4), (15, 19)).Missing(from, to));

    [Fact]
    public void A_byte_of_the_representation_is_found_in_the_body_after_the_ranges_before_it()
    {
        var held = Held(100, (10, 19), (50, 59));
        Assert.Equal(0, held.OffsetOf(10));
        Assert.Equal(9, held.OffsetOf(19));
        Assert.Equal(10, held.OffsetOf(50));
        Assert.Equal(15, held.OffsetOf(55));
        Assert.Equal(20, held.Held);
        Assert.True(held.Covers(52, 59));
        Assert.False(held.Covers(18, 50));
    }

    [Theory]
    [InlineData("bytes 0-9/20", 0L, 9L, 20L)]
    [InlineData("bytes 19-19/20", 19L, 19L, 20L)]
    public void A_content_range_with_a_known_length_is_a_part(string value, long from, long to, long length)
        => Assert.Equal((from, to, length), PartialResponses.ContentRange(value));

    [Theory]
    [InlineData("bytes 0-9/*")]     // length unknown: nothing to combine it into
    [InlineData("bytes */20")]      // an unsatisfied range
    [InlineData("bytes 9-0/20")]
    [InlineData("bytes 0-20/20")]
    [InlineData("items 0-9/20")]
    [InlineData("bytes 0-9")]
    [InlineData("bytes -1-9/20")]
    public void Anything_else_is_not(string value) => Assert.Null(PartialResponses.ContentRange(value));

    [Theory]
    [InlineData("\"v1\"", true)]
    [InlineData("W/\"v1\"", false)]
    [InlineData("v1", false)]
    [InlineData("\"a\"b\"", false)]
    [InlineData("\"", false)]
    public void Only_a_strong_entity_tag_makes_parts_combinable(string etag, bool strong)
        => Assert.Equal(strong, PartialResponses.StrongTag(etag) is not null);

    [Fact]
    public void A_part_survives_its_disk_file_and_a_file_whose_ranges_do_not_match_its_body_is_damaged()
    {
        var path = Path.GetTempFileName();
        try
        {
            var body = Encoding.ASCII.GetBytes("abcdeklmnopqrst");
            var part = Entry(Held(20, (0, 4), (10, 19)));
            Write(path, part, body);
            var read = DiskEntryFormat.Read(path, _ => part.Directives, out var damage);
            Assert.Null(damage);
            Assert.Equal("0-4,10-19/20", read!.Ranges!.ToString());
            Assert.Equal(15, read.BodyLength);

            Write(path, Entry(Held(20, (0, 4))), body);
            Assert.Null(DiskEntryFormat.Read(path, _ => part.Directives, out damage));
            Assert.Equal("ranges 0-4/20 do not hold its 15 bytes", damage);

            Write(path, Entry(null), body);
            Assert.Null(DiskEntryFormat.Read(path, _ => part.Directives, out _)!.Ranges);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Write(string path, CacheEntry entry, byte[] body)
        => File.WriteAllBytes(path, [.. body, .. DiskEntryFormat.Close(entry, body.Length, XxHash3.HashToUInt64(body))]);

    private static CacheEntry Entry(HeldRanges? ranges) => new()
    {
        Key = "http://h/a",
        Vary = [],
        Status = ranges is null ? 200 : 206,
        Headers = [new("ETag", new StringValues("\"v1\""))],
        RequestTime = DateTimeOffset.UnixEpoch,
        ResponseTime = DateTimeOffset.UnixEpoch,
        Date = DateTimeOffset.UnixEpoch,
        Directives = CacheDirectives.Parse("max-age=60"),
        Ranges = ranges,
    };
}
