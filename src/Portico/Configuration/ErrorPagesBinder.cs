using System.Globalization;
using System.Text;
using Portico.Configuration.Model;
using Portico.Headers;

namespace Portico.Configuration;

/// <summary>
/// Binds `errorPages` (top level and a route's), a route's `interceptErrors` and `maintenance`.
/// A page's file is read here, at load, so a missing or oversized file or an unknown variable is
/// an error with its line, and a reload reads it again.
/// </summary>
internal static class ErrorPagesBinder
{
    public static IReadOnlyDictionary<int, ErrorPageSettings> BindPages(MapReader parent)
    {
        var pages = new Dictionary<int, ErrorPageSettings>();
        var section = parent.Section("errorPages");
        if (section is null)
        {
            return pages;
        }

        foreach (var (key, value) in section.Entries)
        {
            var path = section.Child(key.Value);
            section.Lines.Record(path, key.Line);
            var status = Status(key.Value);
            if (status is null)
            {
                section.Errors.Add(key.Line, path, $"'{key.Value}' is not an error status: give a code from 400 to 599");
            }

            if (MapReader.For(value, path, section.Errors, section.Lines, key.Line) is { } m && BindPage(m) is { } page && status is { } code)
            {
                pages[code] = page;
            }
        }

        return pages;
    }

    /// <summary>One page's section: `file` or `body`, `template`, `contentType`.</summary>
    public static ErrorPageSettings? BindPage(MapReader m)
    {
        var body = m.String("body");
        var file = ConfigPaths.Resolve(m, "file");
        var template = m.Bool("template") ?? false;
        var contentType = m.String("contentType") ?? ErrorPageSettings.DefaultContentType;
        m.Finish();
        if (contentType.Length == 0 || contentType.Any(c => c is < ' ' or >= (char)0x7F) || !contentType.Contains('/'))
        {
            m.Error("contentType", $"'{contentType}' is not a media type such as text/html; charset=utf-8");
            return null;
        }

        if ((body is null) == (file is null))
        {
            m.Error(body is null ? "" : "file", body is null ? "give file (a page read at load) or body (the page inline)" : "give either file or body, not both");
            return null;
        }

        var text = body ?? Read(m, file!, m.String("file")!);
        if (text is null)
        {
            return null;
        }

        if (Encoding.UTF8.GetByteCount(text) > ErrorPageSettings.MaxBytes)
        {
            m.Error(body is null ? "file" : "body", $"the page is larger than {ErrorPageSettings.MaxBytes / 1024} KiB");
            return null;
        }

        string? error = null;
        var parsed = template ? TemplateParser.ParsePage(text, out error) : new ValueTemplate([new TemplatePart(TemplateVariable.Literal, text)]);
        if (parsed is null)
        {
            m.Error(body is null ? "file" : "body", error!);
            return null;
        }

        return new ErrorPageSettings { ContentType = contentType, Body = parsed, Source = file ?? "inline" };
    }

    public static IReadOnlyList<int> BindIntercept(MapReader route)
    {
        var statuses = new List<int>();
        foreach (var item in route.ScalarList("interceptErrors") ?? [])
        {
            if (Status(item.Value) is { } status)
            {
                statuses.Add(status);
            }
            else
            {
                route.Errors.Add(item.Line, route.Child("interceptErrors"), $"'{item.Value}' is not an error status: give codes from 400 to 599");
            }
        }

        return statuses;
    }

    public static MaintenanceSettings? BindMaintenance(MapReader route)
    {
        var m = route.Section("maintenance");
        if (m is null)
        {
            return null;
        }

        var defaults = new MaintenanceSettings();
        var enabled = m.Bool("enabled") ?? defaults.Enabled;
        var page = m.Section("page") is { } p ? BindPage(p) : null;
        var retryAfter = m.Duration("retryAfter") ?? defaults.RetryAfter;
        var allowIps = GuardBinder.Networks(m, "allowIps");
        m.Finish();
        return new MaintenanceSettings { Enabled = enabled, Page = page, RetryAfter = retryAfter, AllowIps = allowIps };
    }

    private static int? Status(string text)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status is >= 400 and <= 599 ? status : null;

    /// <summary>The file's text; <paramref name="written"/> is its path as the config gives it, for the error.</summary>
    private static string? Read(MapReader m, string path, string written)
    {
        try
        {
            if (new FileInfo(path).Length > ErrorPageSettings.MaxBytes)
            {
                m.Error("file", $"'{written}' is larger than {ErrorPageSettings.MaxBytes / 1024} KiB");
                return null;
            }

            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            m.Error("file", e is FileNotFoundException or DirectoryNotFoundException ? $"'{written}' does not exist" : $"'{written}' cannot be read: {e.Message}");
            return null;
        }
    }
}
