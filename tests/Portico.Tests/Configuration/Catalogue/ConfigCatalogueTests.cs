using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portico.Configuration.Catalogue;

namespace Portico.Tests.Configuration.Catalogue;

/// <summary>
/// The catalogue (src/Portico/Configuration/Catalogue) against the binders: the keys they ask
/// for are exactly the catalogued ones, a key outside it is refused, every documented default is
/// what they apply, and every example binds.
/// </summary>
public sealed class ConfigCatalogueTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portico-catalogue-").FullName;

    public ConfigCatalogueTests()
    {
        // Examples name PEM files (a client-certificate CA); the binders read them, so they exist.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Catalogue Test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        foreach (var file in ConfigCatalogue.All.Select(k => k.Example).OfType<string>().Where(e => e.EndsWith(".pem", StringComparison.Ordinal)))
        {
            File.WriteAllText(Path.Combine(_folder, file), ca.ExportCertificatePem());
        }
    }

    private string ConfigFile => Path.Combine(_folder, "portico.yaml");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_binders_accept_exactly_the_catalogued_keys()
    {
        var asked = new HashSet<string>(StringComparer.Ordinal);
        Everything().Bind(ConfigFile, asked);

        var accepted = asked.Select(CataloguePath).ToHashSet(StringComparer.Ordinal);
        var catalogued = ConfigCatalogue.All.Select(k => k.Path).Where(p => !CatalogueConfig.IsPlaceholder(p[(p.LastIndexOf('.') + 1)..])).ToHashSet(StringComparer.Ordinal);
        var uncatalogued = accepted.Except(catalogued).Order().ToArray();
        var unread = catalogued.Except(accepted).Order().ToArray();
        Assert.True(uncatalogued.Length + unread.Length == 0, $"the binders accept keys the catalogue lacks: [{string.Join(", ", uncatalogued)}]; the catalogue lists keys no binder reads: [{string.Join(", ", unread)}]");
    }

    [Fact]
    public void A_key_outside_the_catalogue_is_refused_in_every_section()
    {
        var config = Everything();
        var sections = ConfigCatalogue.All.Where(k => k.Kind is ConfigKind.Section or ConfigKind.Items).ToArray();
        foreach (var section in sections)
        {
            config.Set($"{section.Path}{(section.Kind == ConfigKind.Items ? "[]" : "")}.notAKey", "1");
        }

        config.Set("notAKey", "1");
        var (_, errors) = config.Bind(ConfigFile);

        var refused = errors.Where(e => e.Reason.StartsWith("unknown key", StringComparison.Ordinal)).Select(e => CataloguePath(e.Key)).ToHashSet(StringComparer.Ordinal);
        var expected = sections.Select(s => $"{s.Path}{(s.Kind == ConfigKind.Items ? "[]" : "")}.notAKey").Append("notAKey").ToArray();
        Assert.True(expected.Except(refused).ToArray() is [], $"not refused: {string.Join(", ", expected.Except(refused))}");
    }

    public static TheoryData<string> KeysWithDefaults() => [.. ConfigCatalogue.All.Where(k => k.Default is not null).Select(k => k.Path)];

    [Theory]
    [MemberData(nameof(KeysWithDefaults))]
    public void The_documented_default_is_the_one_the_binders_apply(string path)
    {
        var key = ConfigCatalogue.Find(path)!;
        var without = CatalogueConfig.Around(key).Bind(ConfigFile);
        var with = CatalogueConfig.Around(key).Set(key.Path, key.Default!).Bind(ConfigFile);

        Assert.True(without.Errors.Count == 0, string.Join("\n", without.Errors));
        Assert.True(with.Errors.Count == 0, string.Join("\n", with.Errors));
        var differences = SettingsDiff.Between(without.Settings, with.Settings);
        Assert.True(differences.Count == 0, $"{path}: documented default {key.Default}, but writing it changes {string.Join("; ", differences)}");
    }

    public static TheoryData<string> KeysWithExamples() => [.. ConfigCatalogue.All.Where(k => k.Example is not null).Select(k => k.Path)];

    [Theory]
    [MemberData(nameof(KeysWithExamples))]
    public void Every_example_binds(string path)
    {
        var key = ConfigCatalogue.Find(path)!;
        var (settings, errors) = CatalogueConfig.Around(key).Set(key.Path, key.Example!).Bind(ConfigFile);

        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.NotNull(settings);
    }

    public static TheoryData<string> KeysWithValueRules() => [.. ConfigCatalogue.All.Where(k => k.Kind is ConfigKind.Int or ConfigKind.Number or ConfigKind.Enum).Select(k => k.Path)];

    /// <summary>The ranges and allowed values the reference and the schema state are the binders': the bounds and each allowed value bind, values past them are refused at the key.</summary>
    [Theory]
    [MemberData(nameof(KeysWithValueRules))]
    public void The_documented_range_or_values_are_the_ones_the_binders_take(string path)
    {
        var key = ConfigCatalogue.Find(path)!;
        (IReadOnlyList<string> good, IReadOnlyList<string> bad) = key.Kind == ConfigKind.Enum
            ? (key.Allowed, new[] { "notAValue" })
            : (new[] { key.Min!.Value, key.Max!.Value }.Select(Number).ToArray(),
                new[] { key.Min!.Value - (key.Kind == ConfigKind.Int ? 1 : 0.001), key.Max!.Value + (key.Kind == ConfigKind.Int ? 1 : 0.001) }.Where(v => v < int.MaxValue).Select(Number).ToArray());
        foreach (var value in good)
        {
            var errors = CatalogueConfig.Around(key).Set(key.Path, value).Bind(ConfigFile).Errors;
            Assert.True(!errors.Any(e => CataloguePath(e.Key) == path), $"{path}: {value} is documented as allowed, but: {string.Join("; ", errors)}");
        }

        foreach (var value in bad)
        {
            var errors = CatalogueConfig.Around(key).Set(key.Path, value).Bind(ConfigFile).Errors;
            Assert.True(errors.Any(e => CataloguePath(e.Key) == path), $"{path}: {value} is outside what is documented, but the binders took it");
        }
    }

    private static string Number(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Every_required_key_has_an_example_and_no_default()
    {
        foreach (var key in ConfigCatalogue.All.Where(k => k.Required || k.RequiredUnless is not null))
        {
            Assert.True(key.Default is null, $"{key.Path} is required and has a default");
            Assert.True(key.Example is not null || key.Kind == ConfigKind.Names, $"{key.Path} is required and has no example");
        }
    }

    /// <summary>Every catalogued section and list written once, every other key as an empty section, so each binder reaches every key it asks for (and a catalogued leaf that is really a section is read as one).</summary>
    private static CatalogueConfig Everything()
    {
        var config = new CatalogueConfig();
        foreach (var key in ConfigCatalogue.All)
        {
            if (key.Kind is ConfigKind.Section or ConfigKind.Names or ConfigKind.Items)
            {
                config.Ensure(key);
            }
            else
            {
                config.Set(key.Path, new Dictionary<string, object>(StringComparer.Ordinal));
            }
        }

        return config;
    }

    /// <summary>`clusters.n1.destinations[0].weight` → `clusters.ID.destinations[].weight`, by walking the catalogue.</summary>
    private static string CataloguePath(string concrete)
    {
        var path = "";
        foreach (var segment in concrete.Split('.'))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? segment : segment[..bracket];
            var parent = ConfigCatalogue.Find(path.TrimEnd('[', ']'));
            if (parent?.Kind == ConfigKind.Names)
            {
                name = ConfigCatalogue.ChildrenOf(parent.Path).Single().Name;
            }

            path = path.Length == 0 ? name : $"{path}.{name}";
            if (bracket >= 0)
            {
                path += "[]";
            }
        }

        return path;
    }
}
