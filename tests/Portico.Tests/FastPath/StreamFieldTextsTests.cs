using Microsoft.Net.Http.Headers;
using Portico.FastPath;

namespace Portico.Tests.FastPath;

public sealed class StreamFieldTextsTests
{
    [Fact]
    public void A_common_name_is_the_shared_constant_whatever_its_case()
    {
        var texts = new StreamFieldTexts();

        Assert.Same(HeaderNames.ContentType, texts.Name("content-TYPE"u8, out var known));
        Assert.True(known >= 0);
        Assert.Equal("X-Custom", texts.Name("X-Custom"u8, out var other));
        Assert.Equal(-1, other);
    }

    [Fact]
    public void A_value_is_the_previous_string_only_while_its_bytes_are_the_same()
    {
        var texts = new StreamFieldTexts();
        texts.Name("Date"u8, out var date);

        var first = texts.Value(date, "Sun, 06 Dec 2026 22:00:00 GMT"u8);
        Assert.Same(first, texts.Value(date, "Sun, 06 Dec 2026 22:00:00 GMT"u8));
        var next = texts.Value(date, "Sun, 06 Dec 2026 22:00:01 GMT"u8);
        Assert.Equal("Sun, 06 Dec 2026 22:00:01 GMT", next);
        Assert.NotSame(first, next);
        Assert.Equal("a", texts.Value(-1, "a"u8));
    }

    [Fact]
    public void A_value_with_obs_text_keeps_its_latin1_characters()
    {
        // RFC 9110 §5.5: obs-text (0x80-0xFF) passes through as the Latin-1 characters Kestrel writes back as the same bytes.
        var texts = new StreamFieldTexts();
        texts.Name("Content-Type"u8, out var type);
        byte[] value = [(byte)'c', 0xE9, (byte)'t'];

        Assert.Equal("c\u00e9t", texts.Value(type, value));
        Assert.Equal("c\u00e9t", texts.Value(type, value));
        Assert.Equal("cet", texts.Value(type, "cet"u8));
    }
}
