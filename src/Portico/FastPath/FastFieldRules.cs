using System.Text;
using Portico.Headers;

namespace Portico.FastPath;

/// <summary>
/// One direction's header rules, the top-level ones then the route's, folded once per config into
/// what they leave: the field names whose lines as sent are dropped (a `remove` or `set`), and
/// the values added after them (the last `set` and the `append`s after it). The full pipeline
/// runs the rules one by one on the header dictionary (HeaderRulesTransform, HeaderRulesMiddleware);
/// each rule touches its own name alone, so the fold gives the same fields.
/// </summary>
internal sealed class FastFieldRules
{
    private FastFieldRules(byte[][] drops, (byte[] Name, ValueTemplate Value)[] adds)
    {
        Drops = drops;
        Adds = adds;
    }

    /// <summary>The names (ASCII) whose lines as the head had them are left out.</summary>
    public byte[][] Drops { get; }

    /// <summary>The lines added, each name with a value rendered per request.</summary>
    public (byte[] Name, ValueTemplate Value)[] Adds { get; }

    /// <summary>The rules of one direction; null when there are none.</summary>
    public static FastFieldRules? Of(IReadOnlyList<HeaderRule>? defaults, IReadOnlyList<HeaderRule>? own)
    {
        var fields = new Dictionary<string, (bool Dropped, List<ValueTemplate> Values)>(StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        foreach (var rule in (defaults ?? []).Concat(own ?? []))
        {
            if (!fields.TryGetValue(rule.Name, out var field))
            {
                field = (false, []);
                order.Add(rule.Name);
            }

            if (rule.Action != HeaderAction.Append)
            {
                field.Dropped = true;
                field.Values.Clear();
            }

            if (rule.Value is { } value)
            {
                field.Values.Add(value);
            }

            fields[rule.Name] = field;
        }

        if (order.Count == 0)
        {
            return null;
        }

        var drops = order.Where(n => fields[n].Dropped).Select(Encoding.ASCII.GetBytes).ToArray();
        var adds = order.SelectMany(n => fields[n].Values.Select(v => (Encoding.ASCII.GetBytes(n), v))).ToArray();
        return new FastFieldRules(drops, adds);
    }
}
