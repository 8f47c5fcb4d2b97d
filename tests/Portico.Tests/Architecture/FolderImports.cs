using System.Text.RegularExpressions;

namespace Portico.Tests.Architecture;

/// <summary>
/// Which other folders of src/Portico a file uses, read from its text: `using Portico.X;` (and
/// `using static`), fully qualified `Portico.X.Type`, partly qualified `X.Type` (which C#
/// resolves against the enclosing Portico namespace), and the types of an enclosing folder a
/// subfolder's file names without any using (Security/Waf naming Security's Refusal). String
/// literals are left out, so a meter called "Portico.Configuration" is not a use, and so are
/// comments but for their cref targets: prose naming a type is not a use, a link to it is.
/// </summary>
internal static partial class FolderImports
{
    /// <summary>Each folder another folder's files use, with one file that shows it.</summary>
    public static IReadOnlyDictionary<(string From, string To), string> Of(SourceTree tree)
    {
        var found = new Dictionary<(string, string), string>();
        foreach (var file in tree.Files)
        {
            foreach (var to in Uses(tree, file).Where(to => to != file.Folder))
            {
                found.TryAdd((file.Folder, to), file.Path);
            }
        }

        return found;
    }

    private static IEnumerable<string> Uses(SourceTree tree, SourceFile file)
    {
        // Comments first, so a cref's quotes are not taken for a string.
        var code = StringLiteral().Replace(LineComment().Replace(file.Text, m => string.Join(' ', Cref().Matches(m.Value).Select(c => c.Groups[1].Value))), "\"\"");
        foreach (Match m in UsingDirective().Matches(code))
        {
            if (Longest(tree, m.Groups[1].Value) is { } folder)
            {
                yield return folder;
            }
        }

        foreach (Match m in FullyQualified().Matches(code))
        {
            if (Longest(tree, m.Groups[1].Value) is { } folder)
            {
                yield return folder;
            }
        }

        // X.Type or X.Y.Type where X(/Y) is a folder declaring Type.
        foreach (Match m in PartlyQualified().Matches(code))
        {
            var parts = m.Value.Split('.');
            for (var i = parts.Length - 1; i >= 1; i--)
            {
                var folder = string.Join('/', parts[..i]);
                if (tree.TypesByFolder.TryGetValue(folder, out var types) && types.Contains(parts[i]))
                {
                    yield return folder;
                    break;
                }
            }
        }

        // An enclosing folder's types are in scope without a using.
        for (var parent = Parent(file.Folder); parent is not null; parent = Parent(parent))
        {
            if (parent.Length > 0 && tree.TypesByFolder.TryGetValue(parent, out var types)
                && types.Any(type => Regex.IsMatch(code, $@"(?<![\w.]){type}(?!\w)")))
            {
                yield return parent;
            }
        }
    }

    /// <summary>The longest folder that a dotted name under Portico starts with ("Configuration.Model.CacheSettings" → "Configuration/Model").</summary>
    private static string? Longest(SourceTree tree, string dotted)
    {
        var parts = dotted.Split('.');
        for (var i = parts.Length; i >= 1; i--)
        {
            var folder = string.Join('/', parts[..i]);
            if (tree.TypesByFolder.ContainsKey(folder))
            {
                return folder;
            }
        }

        return null;
    }

    private static string? Parent(string folder) => folder.Length == 0 ? null : folder.Contains('/') ? folder[..folder.LastIndexOf('/')] : "";

    [GeneratedRegex(@"""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"//[^\n]*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"cref=""([^""]+)""")]
    private static partial Regex Cref();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?Portico\.([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"(?<![\w.])Portico\.([A-Z]\w*(?:\.[A-Z]\w*)*)")]
    private static partial Regex FullyQualified();

    [GeneratedRegex(@"(?<![\w.])[A-Z]\w*(?:\.[A-Z]\w*)+")]
    private static partial Regex PartlyQualified();
}
