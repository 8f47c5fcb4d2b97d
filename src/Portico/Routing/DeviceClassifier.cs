using System.Buffers;
using Portico.Configuration.Model;

namespace Portico.Routing;

/// <summary>
/// Portico's device classifier: a small rule table over `User-Agent` and the low-entropy Client
/// Hints every Chromium browser sends unasked (`Sec-CH-UA-Mobile`, `Sec-CH-UA-Platform`; RFC 8942,
/// WICG UA-CH). The first rule that holds wins:
/// 1. bot: no User-Agent; one that does not start as browsers' do (`Mozilla/`, `Opera/`) and is
///    no feature phone (`MIDP`); or one naming a crawler, a tool or a monitor (<see cref="BotTokens"/>);
/// 2. mobile: `Sec-CH-UA-Mobile: ?1` (the browser says it prefers a mobile experience);
/// 3. tablet: a tablet token (<see cref="TabletTokens"/>), checked before mobile because iPads and
///    Kindles also say `Mobile`;
/// 4. mobile: a phone token (<see cref="MobileTokens"/>);
/// 5. tablet: `Android` without `Mobile` (Android's own convention for large screens), or
///    `Sec-CH-UA-Platform: "Android"` with `Sec-CH-UA-Mobile: ?0`;
/// 6. desktop: everything else (iPadOS in desktop mode included: it presents itself as a Mac).
/// Each token list is one <see cref="SearchValues{T}"/> search (case-insensitive, no regex, no
/// backtracking), so a request costs at most three scans of its User-Agent. The test suite
/// measures the table against public corpora (tests/Portico.Tests/Routing/DeviceClassifierTests).
/// </summary>
internal static class DeviceClassifier
{
    /// <summary>Rule 1: crawlers, HTTP libraries, headless browsers, uptime and SEO tools, link previewers.</summary>
    private static readonly SearchValues<string> BotTokens = SearchValues.Create(
    [
        "bot", "crawl", "spider", "slurp", "scrape", "archive", "indexer", "http://", "https://", "www.", ".com",
        "curl/", "wget", "python", "java/", "perl", "ruby", "php", "okhttp", "httpclient", "http-client", "libwww",
        "headless", "lighthouse", "playwright", "selenium", "phantomjs", "puppeteer", "google", "mediapartners",
        "facebook", "meta-external", "whatsapp", "preview", "fetch", "feed", "monitor", "uptime", "pingdom",
        "synthetic", "ptst/", "gtmetrix", "inspector", "netcraft", "scan", "check", "search", "validator",
        "datanyze", "zgrab", "ips-agent", "httrack", "daumoa", "appinsights", "dareboost", "outbrain", "resolver",
        "evc-batch", "optimizer",
    ], StringComparison.OrdinalIgnoreCase);

    /// <summary>Rule 3: iPad, Android tablets that say so, Kindle and Fire (Silk, `KF…` models), BlackBerry PlayBook.</summary>
    private static readonly SearchValues<string> TabletTokens = SearchValues.Create(
        ["ipad", "tablet", "kindle", "silk/", "; kf", "playbook"], StringComparison.OrdinalIgnoreCase);

    /// <summary>Rule 4: `Mobi` (Mozilla's advice for phones: covers `Mobile`), iPhone and iPod, older phone platforms.</summary>
    private static readonly SearchValues<string> MobileTokens = SearchValues.Create(
        ["mobi", "iphone", "ipod", "windows phone", "blackberry", "bb10", "opera mini", "symbian", "nokia", "midp", "j2me", "webos"],
        StringComparison.OrdinalIgnoreCase);

    public static DeviceClass Classify(ReadOnlySpan<char> userAgent, ReadOnlySpan<char> chMobile, ReadOnlySpan<char> chPlatform)
    {
        var ua = userAgent.Trim();
        if (ua.IsEmpty || !LooksLikeBrowser(ua) || ua.IndexOfAny(BotTokens) >= 0)
        {
            return DeviceClass.Bot;
        }

        var hint = chMobile.Trim();
        if (hint.SequenceEqual("?1"))
        {
            return DeviceClass.Mobile;
        }

        if (ua.IndexOfAny(TabletTokens) >= 0)
        {
            return DeviceClass.Tablet;
        }

        if (ua.IndexOfAny(MobileTokens) >= 0)
        {
            return DeviceClass.Mobile;
        }

        var androidHint = hint.SequenceEqual("?0") && chPlatform.Trim().Equals("\"Android\"", StringComparison.OrdinalIgnoreCase);
        return androidHint || ua.Contains("android", StringComparison.OrdinalIgnoreCase) ? DeviceClass.Tablet : DeviceClass.Desktop;
    }

    // Every browser's User-Agent starts with "Mozilla/" (old Opera with "Opera/"); feature phones
    // name their Java profile instead. Libraries and scripts start with their own name.
    private static bool LooksLikeBrowser(ReadOnlySpan<char> ua)
        => ua.StartsWith("Mozilla/", StringComparison.OrdinalIgnoreCase) || ua.StartsWith("Opera/", StringComparison.OrdinalIgnoreCase)
           || ua.Contains("MIDP", StringComparison.OrdinalIgnoreCase);
}
