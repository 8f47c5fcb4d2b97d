using System.Globalization;
using System.Text.RegularExpressions;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>Reads a Prometheus text exposition so tests can ask for one series' value by name and labels.</summary>
internal sealed partial class PrometheusText(string text)
{
    public string Text { get; } = text;

    /// <summary>The value of the one series named <paramref name="name"/> whose labels include all of <paramref name="labels"/>; null if none.</summary>
    public double? Value(string name, params (string Key, string Value)[] labels)
    {
        double? found = null;
        foreach (var line in Text.Split('\n'))
        {
            var match = Series().Match(line);
            if (!match.Success || match.Groups["name"].Value != name)
            {
                continue;
            }

            var present = Label().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            if (labels.All(l => present.TryGetValue(l.Key, out var v) && v == l.Value))
            {
                // One series only; the whole exposition on failure, to see where the second came from.
                Assert.True(found is null, $"more than one {name} series with {string.Join(", ", labels)}:\n{Text}");
                found = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return found;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)")]
    private static partial Regex Series();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex Label();
}
