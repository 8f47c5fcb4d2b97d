namespace Portico.Configuration.Model;

/// <summary>
/// The class of client a request comes from (Routing/DeviceClassifier). Flags, so a
/// route's `match.device` list is one value and a test is one AND.
/// </summary>
[Flags]
internal enum DeviceClass
{
    /// <summary>No class: in a route's match, any device.</summary>
    None = 0,
    Desktop = 1,
    Mobile = 2,
    Tablet = 4,
    Bot = 8,
}
