using Portico.Caching;

namespace Portico.Tests.Caching;

/// <summary>The cache panel's top URLs: exact while they fit, bounded past that, a busy newcomer still climbs in.</summary>
public sealed class CacheTopUrlsTests
{
    [Fact]
    public void Urls_are_ranked_by_hits_exactly_while_they_fit()
    {
        var top = new CacheTopUrls();
        for (var i = 0; i < 5; i++)
        {
            top.Hit("http://a/1");
        }

        top.Hit("http://a/2");
        top.Hit("http://a/3");
        top.Hit("http://a/3");

        Assert.Equal(new (string, long)[] { ("http://a/1", 5L), ("http://a/3", 2L) }, top.Top(2));
    }

    [Fact]
    public void Past_its_capacity_it_tracks_no_more_urls_and_a_busy_newcomer_displaces_the_least_hit()
    {
        var top = new CacheTopUrls();
        for (var i = 0; i < 10 * CacheTopUrls.Capacity; i++)
        {
            top.Hit($"http://a/{i}");
        }

        Assert.Equal(CacheTopUrls.Capacity, top.Top(int.MaxValue).Count);
        for (var i = 0; i < 4 * CacheTopUrls.SampleEvery; i++)
        {
            top.Hit("http://a/busy");
        }

        Assert.Equal(CacheTopUrls.Capacity, top.Top(int.MaxValue).Count);
        Assert.Equal("http://a/busy", top.Top(1)[0].Url);
    }
}
