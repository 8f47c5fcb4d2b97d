using System.Text.RegularExpressions;

namespace Portico.Tests.Architecture;

/// <summary>
/// Every concern shows the same face (shared/STYLE.md): its request stage is installed by its own
/// `UsePortico…` extension, beside its `AddPortico…`, and only Pipeline/ calls a `UsePortico…`, so
/// the order of stages stays in the one list there. (Log classes and their id ranges: EventIdTests.)
/// </summary>
public sealed partial class ConcernFacesTests
{
    [Fact]
    public void Only_pipeline_calls_the_use_extensions()
    {
        var elsewhere = SourceTree.Src.Files
            .Where(f => f.Folder != "Pipeline")
            .SelectMany(f => UseCall().Matches(f.Text).Select(m => $"{f.Path}: {m.Value.Trim()}"))
            .ToList();

        Assert.True(elsewhere.Count == 0, "UsePortico… called outside Pipeline/:\n" + string.Join("\n", elsewhere));
    }

    [Fact]
    public void Every_request_stage_is_installed_by_its_concern_use_extension()
    {
        var problems = new List<string>();
        foreach (var file in SourceTree.Src.Files.Where(f => f.Folder != "Admin" && RequestStage().IsMatch(f.Text)))
        {
            var stage = Path.GetFileNameWithoutExtension(file.Path);
            var face = SourceTree.Src.Files.Where(f => f.Folder == file.Folder && f.Path.EndsWith("Services.cs", StringComparison.Ordinal)).ToList();
            if (!face.Any(f => Regex.IsMatch(f.Text, $@"UsePortico\w*\(this [^)]*\)[^;]*UseMiddleware<{stage}>")))
            {
                problems.Add($"{stage}: no UsePortico… in {file.Folder}/*Services.cs installs it");
            }

            if (!face.Any(f => AddExtension().IsMatch(f.Text)))
            {
                problems.Add($"{file.Folder}: no AddPortico… beside {stage}'s UsePortico…");
            }
        }

        var direct = SourceTree.Src.Files
            .Where(f => f.Folder != "Admin" && !f.Path.EndsWith("Services.cs", StringComparison.Ordinal))
            .SelectMany(f => UseMiddleware().Matches(f.Text).Select(m => $"{f.Path}: {m.Value} (install it through its concern's UsePortico…)"));

        problems.AddRange(direct);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    // A call, not the declaration (which reads "UsePorticoX(this ...").
    [GeneratedRegex(@"\.UsePortico\w*\((?!this )")]
    private static partial Regex UseCall();

    [GeneratedRegex(@"Task Invoke(?:Async)?\(HttpContext")]
    private static partial Regex RequestStage();

    [GeneratedRegex(@"IServiceCollection AddPortico\w*\(this IServiceCollection")]
    private static partial Regex AddExtension();

    [GeneratedRegex(@"UseMiddleware<\w+>")]
    private static partial Regex UseMiddleware();
}
