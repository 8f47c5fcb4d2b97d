using System.Text.RegularExpressions;

namespace Portico.Tests.Architecture;

/// <summary>
/// The C# files of src/Portico as text, each with its folder ("Security/Waf"; "" for the root),
/// for tests that hold the source to a rule. Read from the repository, not the build output.
/// </summary>
internal sealed partial class SourceTree
{
    private SourceTree(string root, IReadOnlyList<SourceFile> files)
    {
        Root = root;
        Files = files;
        TypesByFolder = files
            .GroupBy(f => f.Folder)
            .ToDictionary(g => g.Key, g => (IReadOnlySet<string>)g.SelectMany(f => TypeDeclaration().Matches(f.Text).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal));
    }

    public static SourceTree Src { get; } = Load();

    /// <summary>The repository's root (where Portico.slnx is).</summary>
    public string Root { get; }

    public IReadOnlyList<SourceFile> Files { get; }

    /// <summary>The folders, each with the names of the types its files declare.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> TypesByFolder { get; }

    /// <summary>The folder a namespace ("Portico.Security.Waf") stands for, or null outside src/Portico.</summary>
    public static string? FolderOf(string ns)
        => ns == "Portico" ? "" : ns.StartsWith("Portico.", StringComparison.Ordinal) ? ns["Portico.".Length..].Replace('.', '/') : null;

    private static SourceTree Load()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portico.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var src = Path.Combine(dir.FullName, "src", "Portico");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(src, path).Replace('\\', '/'))
            .Where(path => !path.StartsWith("bin/", StringComparison.Ordinal) && !path.StartsWith("obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(path => new SourceFile(path, Path.GetDirectoryName(path)!.Replace('\\', '/'), File.ReadAllText(Path.Combine(src, path))))
            .ToList();
        return new SourceTree(dir.FullName, files);
    }

    [GeneratedRegex(@"^\s*(?:(?:internal|public|private|protected|static|sealed|abstract|readonly|partial|file|ref)\s+)*(?:class|record(?:\s+struct|\s+class)?|struct|interface|enum)\s+(\w+)", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();
}
