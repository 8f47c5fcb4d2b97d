using System.Text.RegularExpressions;

namespace Portico.Tests.Architecture;

/// <summary>
/// Log event ids are part of the product (operators alert on them): each [LoggerMessage] in
/// src/Portico has an id no other has, inside the range its log class documents, and a row in
/// the one table of event ids that operators read.
/// </summary>
public sealed partial class EventIdTests
{
    /// <summary>The operator-facing table (its "observability" part moves to docs/observability.md).</summary>
    private const string TablePath = "docs/observability.md";

    private static readonly IReadOnlyList<LogEvent> Events = Read(SourceTree.Src);

    [Fact]
    public void Src_has_log_events()
        => Assert.True(Events.Count >= 30, $"only {Events.Count} [LoggerMessage] events found in src/Portico: has their form changed?");

    [Fact]
    public void Every_log_line_goes_through_a_logger_message_with_an_id()
    {
        var direct = SourceTree.Src.Files
            .SelectMany(f => DirectLogCall().Matches(f.Text).Select(m => $"{f.Path}: {m.Value}"))
            .ToList();

        Assert.True(direct.Count == 0, "log calls without an event id (write a [LoggerMessage] in the folder's log class):\n" + string.Join("\n", direct));
    }

    [Fact]
    public void Every_event_id_is_used_once()
    {
        var repeated = Events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Class))}").ToList();

        Assert.True(repeated.Count == 0, "event ids used more than once: " + string.Join("; ", repeated));
    }

    [Fact]
    public void Every_event_id_is_inside_its_log_class_documented_range()
    {
        var outside = Events
            .Where(e => e.Range is not { } range || e.Id < range.First || e.Id > range.Last)
            .Select(e => e.Range is { } range ? $"{e.Class} {e.Id} (documented {range.First}–{range.Last})" : $"{e.Class} {e.Id} (its summary names no \"ids N–M\")")
            .ToList();

        Assert.True(outside.Count == 0, "events outside their class's range: " + string.Join("; ", outside));
    }

    [Fact]
    public void The_table_lists_every_event_as_src_declares_it_and_no_other()
    {
        var text = File.ReadAllText(Path.Combine(SourceTree.Src.Root, TablePath));
        var table = TableRow().Matches(text).Select(m => $"| {m.Groups[1].Value} | {m.Groups[2].Value} | {m.Groups[3].Value} | `{m.Groups[4].Value}` |").ToList();
        var expected = Events.OrderBy(e => e.Id).Select(e => $"| {e.Id} | {e.Level} | {e.Class} | `{e.Message}` |").ToList();

        Assert.True(table.Count > 0, $"{TablePath} has no event table (rows \"| id | level | class | `message` |\")");
        Assert.Equal(expected, table);
    }

    private static List<LogEvent> Read(SourceTree tree)
    {
        var events = new List<LogEvent>();
        foreach (var file in tree.Files.Where(f => f.Text.Contains("[LoggerMessage(", StringComparison.Ordinal)))
        {
            var type = ClassName().Match(file.Text).Groups[1].Value;
            var range = DocumentedRange().Match(file.Text) is { Success: true } r
                ? (int.Parse(r.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(r.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))
                : ((int First, int Last)?)null;
            foreach (Match attribute in Attribute().Matches(file.Text))
            {
                var arguments = attribute.Groups[1].Value;
                var id = NamedId().Match(arguments) is { Success: true } named ? named.Groups[1].Value : PositionalId().Match(arguments).Groups[1].Value;
                Assert.False(string.IsNullOrEmpty(id), $"{file.Path}: a [LoggerMessage] without an event id: {attribute.Value}");
                events.Add(new LogEvent(
                    int.Parse(id, System.Globalization.CultureInfo.InvariantCulture),
                    Level().Match(arguments).Groups[1].Value,
                    type,
                    Message().Match(arguments).Groups[1].Value,
                    range));
            }
        }

        return events;
    }

    private sealed record LogEvent(int Id, string Level, string Class, string Message, (int First, int Last)? Range);

    [GeneratedRegex(@"\[LoggerMessage\((.*)\)\]")]
    private static partial Regex Attribute();

    [GeneratedRegex(@"EventId\s*=\s*(\d+)")]
    private static partial Regex NamedId();

    [GeneratedRegex(@"^\s*(\d+)\s*,")]
    private static partial Regex PositionalId();

    [GeneratedRegex(@"LogLevel\.(\w+)")]
    private static partial Regex Level();

    [GeneratedRegex(@"""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Message();

    [GeneratedRegex(@"\bclass\s+(\w+)")]
    private static partial Regex ClassName();

    [GeneratedRegex(@"ids (\d+)[–-](\d+)")]
    private static partial Regex DocumentedRange();

    [GeneratedRegex(@"\.Log(?:Trace|Debug|Information|Warning|Error|Critical)\(")]
    private static partial Regex DirectLogCall();

    [GeneratedRegex(@"^\| (\d+) \| (\w+) \| (\w+) \| `(.*)` \|$", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
