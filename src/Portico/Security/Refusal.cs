using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Forwarding;
using Portico.Observability;

namespace Portico.Security;

/// <summary>How a guard stage refuses a request: the reason for the access log and metrics, a log line, our error page.</summary>
internal static class Refusal
{
    /// <summary>Answers <paramref name="status"/> with our page; <paramref name="headers"/> are added as the response starts (the page clears earlier ones).</summary>
    public static Task WriteAsync(HttpContext context, int status, LocalReason reason, string detail, bool close = false, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        if (context.Features.Get<RequestExchange>() is { } exchange)
        {
            exchange.Reason = reason;
        }

        context.RequestServices.GetRequiredService<GuardLog>().RequestRefused(ClientAddress.Of(context).ToString(), status, detail);
        if (close || headers is not null)
        {
            context.Response.OnStarting(() =>
            {
                foreach (var (name, value) in headers ?? [])
                {
                    context.Response.Headers[name] = value;
                }

                if (close)
                {
                    // HTTP/1.x: the rest of what this client sent is not read; end the connection.
                    context.Response.Headers.Connection = "close";
                }

                return Task.CompletedTask;
            });
        }

        return ErrorPage.WriteAsync(context, status);
    }
}
