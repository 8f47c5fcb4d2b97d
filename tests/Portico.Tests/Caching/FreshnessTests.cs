using Microsoft.Extensions.Primitives;
using Portico.Caching;

namespace Portico.Tests.Caching;

/// <summary>RFC 9111 §4.2: freshness lifetime and age, computed from fixed times.</summary>
public sealed class FreshnessTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static CacheEntry Entry(string? cacheControl = null, int status = 200, long age = 0, DateTimeOffset? date = null, DateTimeOffset? requestTime = null, params (string, string)[] fields)
    {
        var headers = fields.Select(f => new KeyValuePair<string, StringValues>(f.Item1, f.Item2)).ToList();
        if (cacheControl is not null)
        {
            headers.Add(new("Cache-Control", cacheControl));
        }

        return new CacheEntry
        {
            Key = "http://h/",
            Vary = [],
            Status = status,
            Headers = headers,
            RequestTime = requestTime ?? T0,
            ResponseTime = T0,
            Date = date ?? T0,
            AgeValue = age,
            Directives = CacheDirectives.Parse(cacheControl),
        };
    }

    [Fact]
    public void S4_2_1_s_maxage_then_max_age_then_expires()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Freshness.Lifetime(Entry("max-age=10, s-maxage=30"), heuristic: true));
        Assert.Equal(TimeSpan.FromSeconds(10), Freshness.Lifetime(Entry("max-age=10", fields: ("Expires", HttpDates.Format(T0.AddHours(1)))), heuristic: true));
        Assert.Equal(TimeSpan.FromHours(1), Freshness.Lifetime(Entry(fields: ("Expires", HttpDates.Format(T0.AddHours(1)))), heuristic: true));
        Assert.Equal(TimeSpan.Zero, Freshness.Lifetime(Entry(fields: ("Expires", "0")), heuristic: true));
        Assert.Equal(TimeSpan.Zero, Freshness.Lifetime(Entry(fields: ("Expires", HttpDates.Format(T0.AddHours(-1)))), heuristic: true));
    }

    [Fact]
    public void S4_2_2_heuristic_is_a_tenth_of_the_last_modified_age_capped_at_a_day_and_only_where_allowed()
    {
        var lastModified = ("Last-Modified", HttpDates.Format(T0.AddDays(-5)));
        Assert.Equal(TimeSpan.FromHours(12), Freshness.Lifetime(Entry(fields: lastModified), heuristic: true));
        Assert.Equal(TimeSpan.FromDays(1), Freshness.Lifetime(Entry(fields: ("Last-Modified", HttpDates.Format(T0.AddDays(-100)))), heuristic: true));
        Assert.Equal(TimeSpan.Zero, Freshness.Lifetime(Entry(fields: lastModified), heuristic: false));
        Assert.Equal(TimeSpan.Zero, Freshness.Lifetime(Entry(status: 302, fields: lastModified), heuristic: true));
        Assert.Equal(TimeSpan.FromHours(12), Freshness.Lifetime(Entry("public", status: 302, fields: lastModified), heuristic: true));
        Assert.Equal(TimeSpan.Zero, Freshness.Lifetime(Entry(), heuristic: true));
    }

    [Fact]
    public void S4_2_3_age_is_the_corrected_initial_age_plus_resident_time()
    {
        // Age value 30 and a 2 s response delay beat an apparent age of 10 s.
        var entry = Entry(age: 30, date: T0.AddSeconds(-10), requestTime: T0.AddSeconds(-2));
        Assert.Equal(TimeSpan.FromSeconds(32 + 60), Freshness.Age(entry, T0.AddSeconds(60)));

        // An apparent age (Date far behind) larger than Age + delay wins.
        var old = Entry(age: 5, date: T0.AddSeconds(-100));
        Assert.Equal(TimeSpan.FromSeconds(100), Freshness.Age(old, T0));

        // A Date in the future does not make the age negative.
        Assert.Equal(TimeSpan.Zero, Freshness.Age(Entry(date: T0.AddSeconds(50)), T0));
    }

    [Theory]
    [InlineData("must-revalidate", true)]
    [InlineData("proxy-revalidate", true)]
    [InlineData("s-maxage=5", true)]
    [InlineData("no-cache", true)]
    [InlineData("max-age=5, stale-while-revalidate=5", false)]
    public void S4_2_4_directives_that_forbid_serving_stale(string cacheControl, bool forbids)
        => Assert.Equal(forbids, Freshness.ForbidsStale(CacheDirectives.Parse(cacheControl)));

    [Fact]
    public void S4_2_1_an_invalid_max_age_makes_the_response_stale_even_with_a_future_expires()
    {
        var expires = ("Expires", HttpDates.Format(T0.AddHours(1)));
        Assert.Equal(TimeSpan.Zero, Freshness.Lifetime(Entry("max-age=3600a", fields: expires), heuristic: true));
        Assert.Equal(TimeSpan.Zero, Freshness.Lifetime(Entry("s-maxage=1.5, max-age=60", fields: expires), heuristic: true));
        Assert.Equal(TimeSpan.FromSeconds(1800), Freshness.Lifetime(Entry("max-age=1800, max-age=1"), heuristic: true));
        Assert.Equal(TimeSpan.FromSeconds(1), Freshness.Lifetime(Entry("max-age=1, max-age=1800"), heuristic: true));
    }

    [Theory]
    [InlineData("THU, 18 Aug 2050 02:01:18 GMT")]
    [InlineData("Thu, 18 AUG 2050 02:01:18 GMT")]
    [InlineData("Thu, 18 Aug 2050 02:01:18 gMT")]
    [InlineData("Thu, 18 Aug 2050 02:01:18 UTC")]
    [InlineData("Thu, 18  Aug  2050 02:01:18 GMT")]
    [InlineData("Thu 18 Aug 2050 02:01:18 GMT")]
    public void S5_3_an_expires_that_is_not_an_http_date_means_already_expired(string expires)
        => Assert.Equal(TimeSpan.Zero, Freshness.Lifetime(Entry(fields: ("Expires", expires)), heuristic: true));
}
