using System.Security.Cryptography;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Options;
using Portico.Configuration.Model;
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
internal sealed class ConfigLoader(IConfigValidator yarpValidator, IOptions<RouteOptions> routeOptions, IEnumerable<IConfigRuntimeBuilder> runtimeBuilders)
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
        CheckConstraints(settings, errors, lines);
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

        var runtimes = new List<IDisposable>();
        foreach (var builder in runtimeBuilders)
        {
            if (builder.Build(settings, errors, lines) is { } runtime)
            {
                runtimes.Add(runtime);
            }
        }

        if (errors.Any)
        {
            runtimes.ForEach(r => r.Dispose());
            return Failed(source, errors, hash);
        }

        return new LoadedConfig(source, settings, routes, clusters, []) { ContentHash = hash, Runtimes = runtimes };
    }

    /// <summary>
    /// An unknown constraint in a route template ({id:banana}) passes YARP's validator but breaks
    /// endpoint matching for every request, so it is refused here.
    /// </summary>
    private void CheckConstraints(PorticoSettings settings, ConfigErrors errors, ConfigLines lines)
    {
        var known = routeOptions.Value.ConstraintMap;
        foreach (var route in settings.Routes.Where(r => r.Match.Path is not null))
        {
            RoutePattern pattern;
            try
            {
                pattern = RoutePatternFactory.Parse(route.Match.Path!);
            }
            catch (RoutePatternException)
            {
                continue; // YARP's validator reports the malformed template.
            }

            foreach (var policy in pattern.Parameters.SelectMany(p => p.ParameterPolicies))
            {
                var name = policy.Content?.Split('(', 2)[0];
                if (name is not null && !known.ContainsKey(name))
                {
                    var key = $"routes.{route.Id}.match.path";
                    errors.Add(lines.Of(key) ?? 0, key, $"unknown route constraint '{name}' (known: {string.Join(", ", known.Keys.Order(StringComparer.Ordinal))})");
                }
            }
        }
    }

    private static LoadedConfig Failed(string source, ConfigErrors errors, byte[] hash)
        => new(source, null, [], [], errors.All.OrderBy(e => e.Line).ToArray()) { ContentHash = hash };
}
