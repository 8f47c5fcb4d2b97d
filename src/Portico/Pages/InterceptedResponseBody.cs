using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Compression;

namespace Portico.Pages;

/// <summary>
/// A backend response's body, decided when it starts: relayed as it streams, or, when its status
/// is one the route intercepts, dropped write by write (never buffered) so the stage can send
/// Portico's page in its place. An intercepted response is not completed here: the page is still to come.
/// </summary>
internal sealed class InterceptedResponseBody(HttpResponse response, IReadOnlyList<int> statuses, IHttpResponseBodyFeature inner)
    : DeferredResponseBody(inner), IHttpResponseBodyFeature
{
    public bool Intercepted { get; private set; }

    protected override Stream OnStart()
    {
        Intercepted = statuses.Contains(response.StatusCode);
        return Intercepted ? Null : Inner.Stream;
    }

    async Task IHttpResponseBodyFeature.CompleteAsync()
    {
        await FinishAsync();
        if (!Intercepted)
        {
            await Inner.CompleteAsync();
        }
    }
}
