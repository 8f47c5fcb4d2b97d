namespace Portico.Configuration.Model;

/// <summary>A route's `compression` section: responses are compressed for clients that accept it.</summary>
internal sealed record CompressionSettings
{
    public static readonly IReadOnlyList<string> DefaultEncodings = ["zstd", "br", "gzip"];

    public static readonly IReadOnlyList<string> DefaultMimeTypes =
    [
        "text/*", "application/json", "application/*+json", "application/javascript", "application/xml",
        "application/*+xml", "application/wasm", "image/svg+xml", "application/x-ndjson",
    ];

    /// <summary>`encodings`: codings offered, in Portico's order of preference when the client's q-values tie. Default [zstd, br, gzip].</summary>
    public IReadOnlyList<string> Encodings { get; init; } = DefaultEncodings;

    /// <summary>`mimeTypes`: media types compressed; `type/*` and `type/*+suffix` patterns allowed. Default: text and structured text types.</summary>
    public IReadOnlyList<string> MimeTypes { get; init; } = DefaultMimeTypes;

    /// <summary>`minSize`: bodies with a known length below this stay uncompressed. Default 1KiB.</summary>
    public long MinSizeBytes { get; init; } = 1024;

    /// <summary>`level`: fastest, optimal or smallest. Default optimal.</summary>
    public CompressionEffort Level { get; init; } = CompressionEffort.Optimal;
}

internal enum CompressionEffort
{
    Fastest,
    Optimal,
    Smallest,
}
