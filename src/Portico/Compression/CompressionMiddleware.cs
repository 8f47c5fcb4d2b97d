using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Pipeline;

namespace Portico.Compression;

/// <summary>Stage 6: compresses the matched route's responses for clients that accept it.</summary>
internal sealed class CompressionMiddleware(RequestDelegate next, ActiveConfig config, CompressionMetrics metrics)
{
    public Task Invoke(HttpContext context)
    {
        var settings = MatchedRoute.Of(context, config)?.Compression;
        // A protocol switch (WebSocket) carries no response body to encode.
        return settings is null || context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
            ? next(context)
            : CompressAsync(context, settings);
    }

    private async Task CompressAsync(HttpContext context, CompressionSettings settings)
    {
        var coding = CompressionNegotiator.Choose(settings, context.Request.Headers.AcceptEncoding);

        context.Request.Headers.AcceptEncoding = ResponseEncoding.ForBackend(coding);

        var original = context.Features.Get<IHttpResponseBodyFeature>()!;
        var body = new CompressingResponseBody(context, original, settings, coding, metrics);
        context.Features.Set<IHttpResponseBodyFeature>(body);
        try
        {
            await next(context);
            await body.FinishAsync();
        }
        finally
        {
            context.Features.Set(original);
        }
    }
}
