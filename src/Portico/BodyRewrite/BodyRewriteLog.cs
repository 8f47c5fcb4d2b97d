using Microsoft.Extensions.Logging;

namespace Portico.BodyRewrite;

/// <summary>Body rewriting log events (ids 7300–7399).</summary>
internal sealed partial class BodyRewriteLog(ILogger<BodyRewriteLog> logger)
{
    [LoggerMessage(7301, LogLevel.Debug, "route {Route}: response of {ContentType} left as it is: {Reason}")]
    public partial void LeftAlone(string route, string contentType, string reason);

    [LoggerMessage(7302, LogLevel.Warning, "route {Route}: the backend's body is not valid {Coding}; the response failed (502, or cut off once started): {Reason}")]
    public partial void Undecodable(string route, string coding, string reason);
}
