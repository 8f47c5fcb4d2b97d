using System.Net;

namespace Portico.Configuration.Model;

/// <summary>The `admin` section: the separate listener for the API, metrics and dashboard.</summary>
internal sealed record AdminSettings
{
    /// <summary>`address`: where the admin listener binds. Default 127.0.0.1:9090.</summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Loopback, 9090);

    /// <summary>`enabled`: false turns the admin listener off. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>`token`: when set, every admin request needs `Authorization: Bearer TOKEN` (or `?token=`). Default none.</summary>
    public string? Token { get; init; }
}

/// <summary>The `accessLog` section: one line per request.</summary>
internal sealed record AccessLogSettings
{
    /// <summary>`enabled`: default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>`format`: json (default) or combined.</summary>
    public AccessLogFormat Format { get; init; } = AccessLogFormat.Json;

    /// <summary>`output`: "stdout" (default) or a file path.</summary>
    public string Output { get; init; } = "stdout";

    /// <summary>`maxSize`: a file log past this size is rotated to FILE.1 (FILE.1 → FILE.2 …). Default 100MiB.</summary>
    public long MaxSizeBytes { get; init; } = 100L << 20;

    /// <summary>`keep`: rotated files kept. Default 5.</summary>
    public int Keep { get; init; } = 5;
}

internal enum AccessLogFormat
{
    Json,
    Combined,
}

/// <summary>The `tracing` section: OpenTelemetry spans exported by OTLP.</summary>
internal sealed record TracingSettings
{
    /// <summary>`otlpEndpoint`: OTLP/HTTP collector base URL, e.g. http://127.0.0.1:4318. Default: no export.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>`serviceName`: default "portico".</summary>
    public string ServiceName { get; init; } = "portico";

    /// <summary>`sampleRatio`: share of new traces recorded (0 to 1); a sampled parent is always followed. Default 1.</summary>
    public double SampleRatio { get; init; } = 1.0;
}
