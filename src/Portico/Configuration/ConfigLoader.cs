using System.Security.Cryptography;
using System.Text;
using Portico.Configuration.Validation;
using Portico.Configuration.Yaml;
using Yarp.ReverseProxy.Configuration;

namespace Portico.Configuration;

/// <summary>
/// Reads a config file through every check we have: YAML syntax, keys and values, references
/// between sections, and finally YARP's own validator on the translated routes and clusters
/// (path templates, host patterns). Reports all errors; yields settings only when there are none.
/// </summary>
internal sealed class ConfigLoader(IConfigValidator yarpValidator)
{
    public async Task<LoadedConfig> LoadFileAsync(string path)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new LoadedConfig(path, null, [], [], [new ConfigError(path, 0, "", "cannot read the file: " + ex.Message)]);
        }

        return await LoadTextAsync(text, path);
    }

    public async Task<LoadedConfig> LoadTextAsync(string text, string source)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var errors = new ConfigErrors(source);
        var lines = new ConfigLines();
        var root = YamlTreeReader.Read(text, errors);
        if (root is null && !errors.Any)
        {
            errors.Add(1, "", "the file is empty; it needs at least 'listeners', 'routes' and 'clusters'");
        }

        // Every later check also runs on a partly bound file, so one run reports every problem.
        var settings = root is null ? null : ConfigBinder.Bind(root, errors, lines);
        if (settings is null)
        {
            return Failed(source, errors, hash);
        }

        CrossReferenceValidator.Validate(settings, errors, lines);
        var (routes, clusters) = YarpTranslator.Translate(settings);
        foreach (var route in routes)
        {
            foreach (var ex in await yarpValidator.ValidateRouteAsync(route))
            {
                errors.Add(lines.Of($"routes.{route.RouteId}.match") ?? lines.Of($"routes.{route.RouteId}") ?? 0, $"routes.{route.RouteId}.match", ex.Message);
            }
        }

        foreach (var cluster in clusters)
        {
            foreach (var ex in await yarpValidator.ValidateClusterAsync(cluster))
            {
                errors.Add(lines.Of($"clusters.{cluster.ClusterId}") ?? 0, $"clusters.{cluster.ClusterId}", ex.Message);
            }
        }

        return errors.Any
            ? Failed(source, errors, hash)
            : new LoadedConfig(source, settings, routes, clusters, []) { ContentHash = hash };
    }

    private static LoadedConfig Failed(string source, ConfigErrors errors, byte[] hash)
        => new(source, null, [], [], errors.All.OrderBy(e => e.Line).ToArray()) { ContentHash = hash };
}
