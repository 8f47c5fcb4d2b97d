using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.WebUtilities;

namespace Portico.Security;

/// <summary>
/// A whole HTTP/1.1 answer written straight onto a connection, for refusals made before Kestrel
/// parses a request (there is no request to give an error page to): plain text naming the
/// status and the reason, never stored by a cache, and the connection ends after it.
/// </summary>
internal static class ConnectionAnswer
{
    public static async Task WriteAsync(PipeWriter output, int status, string reason)
    {
        var phrase = ReasonPhrases.GetReasonPhrase(status);
        var body = $"{status} {phrase}: {reason}\n";
        var response = $"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}";
        try
        {
            await output.WriteAsync(Encoding.ASCII.GetBytes(response));
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ConnectionResetException)
        {
            // The client is already gone; the refusal was logged.
        }
    }
}
