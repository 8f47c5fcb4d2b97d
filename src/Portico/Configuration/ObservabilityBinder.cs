using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds the `admin`, `accessLog` and `tracing` sections.</summary>
internal static class ObservabilityBinder
{
    public static AdminSettings BindAdmin(MapReader root)
    {
        var d = new AdminSettings();
        var m = root.Section("admin");
        if (m is null)
        {
            return d;
        }

        var endPoint = d.EndPoint;
        if (m.String("address") is { } address && !ConfigBinder.TryParseEndPoint(address, out endPoint))
        {
            m.Error("address", $"'{address}' is not an IP address and port such as 127.0.0.1:9090");
        }

        var token = m.String("token");
        if (token is { Length: < 16 })
        {
            m.Error("token", "an admin token must be at least 16 characters long");
        }

        var settings = new AdminSettings { EndPoint = endPoint ?? d.EndPoint, Enabled = m.Bool("enabled") ?? true, Token = token };
        m.Finish();
        return settings;
    }

    public static AccessLogSettings BindAccessLog(MapReader root)
    {
        var d = new AccessLogSettings();
        var m = root.Section("accessLog");
        if (m is null)
        {
            return d;
        }

        var formatText = m.String("format") ?? "json";
        AccessLogFormat? format = formatText switch
        {
            "json" => AccessLogFormat.Json,
            "combined" => AccessLogFormat.Combined,
            _ => null,
        };
        if (format is null)
        {
            m.Error("format", $"'{formatText}' is not one of: json, combined");
        }

        var maxSize = d.MaxSizeBytes;
        if (m.String("maxSize") is { } sizeText && (!ByteSize.TryParse(sizeText, out maxSize) || maxSize < 4096))
        {
            m.Error("maxSize", $"'{sizeText}' is not a size of at least 4KiB (examples: 64MiB, 1GiB)");
        }

        var settings = new AccessLogSettings
        {
            Enabled = m.Bool("enabled") ?? true,
            Format = format ?? AccessLogFormat.Json,
            Output = m.String("output") ?? d.Output,
            MaxSizeBytes = maxSize,
            Keep = m.Int("keep", 0, 100) ?? d.Keep,
        };
        m.Finish();
        return settings;
    }

    public static TracingSettings BindTracing(MapReader root)
    {
        var d = new TracingSettings();
        var m = root.Section("tracing");
        if (m is null)
        {
            return d;
        }

        Uri? endpoint = null;
        if (m.String("otlpEndpoint") is { } text && (!Uri.TryCreate(text, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            m.Error("otlpEndpoint", $"'{text}' is not an http:// or https:// URL such as http://127.0.0.1:4318");
            endpoint = null;
        }

        var settings = new TracingSettings
        {
            OtlpEndpoint = endpoint,
            ServiceName = m.String("serviceName") ?? d.ServiceName,
            SampleRatio = m.Double("sampleRatio", 0, 1) ?? d.SampleRatio,
        };
        m.Finish();
        return settings;
    }
}
