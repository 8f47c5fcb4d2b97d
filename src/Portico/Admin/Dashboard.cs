using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Portico.Admin;

/// <summary>
/// Serves the dashboard: one HTML page, its script and stylesheet, embedded in the binary.
/// Nothing is loaded from the internet; the page draws its charts itself on canvas.
/// </summary>
internal static class Dashboard
{
    private static readonly (string Path, string Resource, string ContentType)[] Assets =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
        ("/dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
    ];

    public static bool IsAsset(PathString path) => Assets.Any(a => path.Equals(a.Path, StringComparison.Ordinal));

    public static void Map(WebApplication app)
    {
        foreach (var (path, resource, contentType) in Assets)
        {
            var bytes = Load(resource);
            app.MapGet(path, (HttpContext context) =>
            {
                context.Response.Headers.CacheControl = "no-cache";
                context.Response.Headers.XContentTypeOptions = "nosniff";
                context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'";
                return Results.Bytes(bytes, contentType);
            });
        }
    }

    private static byte[] Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Portico.Admin.Dashboard.{name}")
            ?? throw new InvalidOperationException($"dashboard asset {name} is not embedded");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
