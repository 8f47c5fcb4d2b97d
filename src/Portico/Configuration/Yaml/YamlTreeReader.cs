using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Portico.Configuration.Yaml;

/// <summary>
/// Reads one YAML (or JSON) document into a <see cref="ConfigNode"/> tree with line numbers.
/// We walk YamlDotNet's event stream ourselves rather than use its representation model so that
/// a duplicate key becomes a config error naming both lines instead of an exception.
/// </summary>
internal static class YamlTreeReader
{
    public static ConfigNode? Read(string text, ConfigErrors errors)
    {
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                return null;
            }

            parser.Consume<DocumentStart>();
            var anchors = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
            var root = ReadNode(parser, anchors, errors, path: "");
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                errors.Add((int)(parser.Current?.Start.Line ?? 0), "", "only one YAML document is allowed per file");
            }

            return root;
        }
        catch (YamlException ex)
        {
            // At end of input YamlDotNet reports the line after the last one; name the last line.
            var lastLine = text.TrimEnd('\n').Count(c => c == '\n') + 1;
            errors.Add((int)Math.Min(ex.Start.Line, lastLine), "", "invalid YAML: " + TrimMark(ex.Message));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 18 throws this, not a YamlException, on some unterminated flow collections.
            errors.Add((int)(parser.Current?.Start.Line ?? 1), "", "invalid YAML: a '{' or '[' collection is not closed after this line");
            return null;
        }
    }

    private static ConfigNode ReadNode(IParser parser, Dictionary<string, ConfigNode> anchors, ConfigErrors errors, string path)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (anchors.TryGetValue(alias.Value.Value, out var target))
            {
                return target;
            }

            errors.Add((int)alias.Start.Line, path, $"unknown alias '*{alias.Value.Value}'");
            return new ScalarNode((int)alias.Start.Line, "", quoted: false);
        }

        ConfigNode node;
        string? anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            node = new ScalarNode((int)scalar.Start.Line, scalar.Value, scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted);
            anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            var items = new List<ConfigNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, anchors, errors, $"{path}[{items.Count}]"));
            }

            node = new SequenceNode((int)seqStart.Start.Line, items);
            anchor = seqStart.Anchor.IsEmpty ? null : seqStart.Anchor.Value;
        }
        else
        {
            var mapStart = parser.Consume<MappingStart>();
            var entries = new List<KeyValuePair<ScalarNode, ConfigNode>>();
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, anchors, errors, path);
                var key = keyNode as ScalarNode ?? new ScalarNode(keyNode.Line, "?", quoted: false);
                if (keyNode is not ScalarNode)
                {
                    errors.Add(keyNode.Line, path, "a key must be a plain value, not " + keyNode.Kind);
                }

                var childPath = path.Length == 0 ? key.Value : $"{path}.{key.Value}";
                var value = ReadNode(parser, anchors, errors, childPath);
                if (seen.TryGetValue(key.Value, out var firstLine))
                {
                    errors.Add(key.Line, childPath, $"duplicate key '{key.Value}' (first defined at line {firstLine})");
                    continue;
                }

                seen[key.Value] = key.Line;
                entries.Add(new(key, value));
            }

            node = new MappingNode((int)mapStart.Start.Line, entries);
            anchor = mapStart.Anchor.IsEmpty ? null : mapStart.Anchor.Value;
        }

        if (anchor is not null)
        {
            anchors[anchor] = node;
        }

        return node;
    }

    // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (...): "; we print the line ourselves.
    private static string TrimMark(string message)
    {
        var at = message.IndexOf("): ", StringComparison.Ordinal);
        return at >= 0 && message.StartsWith('(') ? message[(at + 3)..] : message;
    }
}
