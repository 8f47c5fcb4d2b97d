namespace Portico.Routing;

/// <summary>The request fields <see cref="DeviceClassifier"/> reads: what a response that depends on the device class varies on.</summary>
internal static class DeviceHints
{
    public const string Mobile = "Sec-CH-UA-Mobile";
    public const string Platform = "Sec-CH-UA-Platform";

    /// <summary>The `Vary` a downstream cache needs (RFC 9110 §12.5.5): the fields the class is computed from.</summary>
    public static readonly IReadOnlyList<string> Fields = ["User-Agent", Mobile, Platform];
}
