using System.Text;
using Portico.FastPath;

namespace Portico.Tests.FastPath;

public sealed class FastFieldsTests
{
    [Fact]
    public void A_later_cache_status_replaces_the_earlier_and_the_backends_own_line()
    {
        var fields = new FastFields();
        fields.Begin(hsts: null, certificate: null);
        fields.Add("RateLimit"u8.ToArray(), "\"api\";r=2;t=60");
        fields.SetCacheStatus("Portico; fwd=uri-miss");
        fields.SetCacheStatus("Portico; fwd=uri-miss; stored");

        Assert.Equal("RateLimit: \"api\";r=2;t=60\r\nCache-Status: Portico; fwd=uri-miss; stored\r\n", Encoding.ASCII.GetString(fields.ResponseLines));
        Assert.True(fields.DropsResponse("cache-status"u8));
        Assert.False(fields.DropsResponse("Cache-Tag"u8));

        fields.Remove("Cache-Tag"u8.ToArray());
        Assert.True(fields.DropsResponse("cache-tag"u8));

        // The next request starts without either.
        fields.Begin(hsts: null, certificate: null);
        Assert.True(fields.ResponseLines.IsEmpty);
        Assert.False(fields.DropsResponse("Cache-Status"u8));
        fields.SetCacheStatus("Portico; fwd=vary-miss");
        Assert.Equal("Cache-Status: Portico; fwd=vary-miss\r\n", Encoding.ASCII.GetString(fields.ResponseLines));
    }
}
