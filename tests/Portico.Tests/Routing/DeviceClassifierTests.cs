using System.Text.Json;
using Portico.Configuration.Model;
using Portico.Routing;

namespace Portico.Tests.Routing;

/// <summary>
/// The device classifier measured against public corpora that scripts/install-test-deps.sh
/// installs from npm into $PORTICO_UA_CORPORA: crawler-user-agents (every instance is a bot)
/// and user-agents (real browser User-Agents, each labelled desktop, mobile or tablet). Each
/// class has an accuracy floor; the figures are printed for the record.
/// </summary>
public sealed class DeviceClassifierTests(ITestOutputHelper output)
{
    private static readonly string Corpora = Environment.GetEnvironmentVariable("PORTICO_UA_CORPORA") ?? "/opt/portico-test-deps/ua-corpora";

    [Fact]
    public void Bots_of_the_crawler_corpus_are_bots()
    {
        var bots = Bots();
        Assert.True(bots.Count > 1000, $"the crawler corpus has {bots.Count} User-Agents");

        var accuracy = Share(bots, ua => Classify(ua) == DeviceClass.Bot);
        output.WriteLine($"bot: {accuracy:P2} of {bots.Count}");
        Assert.True(accuracy >= 0.97, $"bot accuracy {accuracy:P2}");
    }

    [Theory]
    [InlineData("desktop", 0.99)]
    [InlineData("mobile", 0.99)]
    [InlineData("tablet", 0.95)]
    public void Browsers_of_the_labelled_corpus_get_their_class(string label, double floor)
    {
        var agents = Browsers().Where(b => b.Label == label).Select(b => b.UserAgent).ToList();
        Assert.True(agents.Count > 10, $"the browser corpus has {agents.Count} {label} User-Agents");

        var accuracy = Share(agents, ua => DeviceClassNames.Of(Classify(ua)) == label);
        output.WriteLine($"{label}: {accuracy:P2} of {agents.Count}");
        Assert.True(accuracy >= floor, $"{label} accuracy {accuracy:P2}");
    }

    [Fact]
    public void Hardly_any_browser_is_taken_for_a_bot()
    {
        var agents = Browsers().Select(b => b.UserAgent).ToList();

        var bots = Share(agents, ua => Classify(ua) == DeviceClass.Bot);
        output.WriteLine($"browsers taken for bots: {bots:P2} of {agents.Count}");
        Assert.True(bots <= 0.005, $"{bots:P2} of browsers classified as bots");
    }

    [Theory]
    [InlineData("", "", "", "bot")]
    [InlineData("curl/8.5.0", "", "", "bot")]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "", "", "bot")]
    [InlineData("Nokia6300/2.0 (05.00) Profile/MIDP-2.0 Configuration/CLDC-1.1", "", "", "mobile")]
    // Chrome's reduced User-Agent names neither model nor form: the hints decide.
    [InlineData("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36", "?1", "\"Android\"", "mobile")]
    [InlineData("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36", "?0", "\"Android\"", "tablet")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36", "?0", "\"Android\"", "tablet")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36", "?0", "\"Windows\"", "desktop")]
    [InlineData("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "", "", "tablet")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "", "", "mobile")]
    public void Rules_apply_in_order(string userAgent, string mobileHint, string platformHint, string expected)
        => Assert.Equal(expected, DeviceClassNames.Of(DeviceClassifier.Classify(userAgent, mobileHint, platformHint)));

    private static DeviceClass Classify(string userAgent) => DeviceClassifier.Classify(userAgent, "", "");

    private static double Share(IReadOnlyCollection<string> agents, Func<string, bool> holds)
        => agents.Count(holds) / (double)agents.Count;

    private static List<string> Bots()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(CorpusFile("crawler-user-agents", "crawler-user-agents.json")));
        return json.RootElement.EnumerateArray()
            .SelectMany(e => e.TryGetProperty("instances", out var instances) ? instances.EnumerateArray().Select(i => i.GetString()!) : [])
            .ToList();
    }

    private static List<(string UserAgent, string Label)> Browsers()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(CorpusFile("user-agents", "dist", "user-agents.json")));
        return json.RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("userAgent").GetString()!, e.GetProperty("deviceCategory").GetString()!))
            .ToList();
    }

    private static string CorpusFile(params string[] parts)
    {
        var path = Path.Combine([Corpora, "node_modules", .. parts]);
        Assert.True(File.Exists(path), $"{path} is missing: run scripts/install-test-deps.sh");
        return path;
    }
}
