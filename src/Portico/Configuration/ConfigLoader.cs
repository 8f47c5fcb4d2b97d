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
        var errors = new ConfigErrors(source);
        var lines = new ConfigLines();
        var root = YamlTreeReader.Read(text, errors);
        var settings = errors.Any ? null : ConfigBinder.Bind(root, errors, lines);
        if (settings is not null)
        {
            // Also on a partly bound file, so one run reports every problem.
            CrossReferenceValidator.Validate(settings, errors, lines);
        }

        if (settings is null || errors.Any)
        {
            return new LoadedConfig(source, null, [], [], errors.All);
        }

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
            ? new LoadedConfig(source, null, [], [], errors.All)
            : new LoadedConfig(source, settings, routes, clusters, []);
    }
}
