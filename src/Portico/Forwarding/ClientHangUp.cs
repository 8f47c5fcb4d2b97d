using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;

namespace Portico.Forwarding;

/// <summary>
/// Whether the client hung up on this request. RequestAborted also fires when the route's
/// timeout passes (the timeouts middleware links the two), which is Portico's doing, not the
/// client's; a client's end of stream alone is not a hang-up (Transport/HalfClosedConnection).
/// </summary>
internal static class ClientHangUp
{
    public static bool Happened(HttpContext context)
        => context.RequestAborted.IsCancellationRequested && !RouteTimedOut(context);

    public static bool RouteTimedOut(HttpContext context)
        => context.Features.Get<IHttpRequestTimeoutFeature>()?.RequestTimeoutToken.IsCancellationRequested == true;
}
