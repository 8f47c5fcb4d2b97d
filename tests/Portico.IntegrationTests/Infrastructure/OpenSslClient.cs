using System.Diagnostics;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// `openssl s_client` toward 127.0.0.1: the one client at hand that says whether a session was
/// resumed ("Reused" against "New") and that saves and offers sessions (-sess_out, -sess_in).
/// Neither SslStream nor HttpClient reports resumption.
/// </summary>
internal static class OpenSslClient
{
    /// <summary>
    /// `openssl s_time -reuse`: for about a second, sequential connections that each send
    /// "GET / HTTP/1.0" and read to the end; the first is a full handshake, the rest offer the
    /// session that s_time kept from the one before. Its output has a '*' per full handshake and
    /// an 'r' per resumed one.
    /// </summary>
    public static Task<string> TimeReuseAsync(int port)
        => RunAsync(["s_time", "-connect", $"127.0.0.1:{port}", "-reuse", "-time", "1", "-www", "/"], input: null);

    /// <summary>One connection that sends a GET and reads until the server closes; <paramref name="options"/> are s_client's (-tls1_2, -no_ticket, -sess_in F ...).</summary>
    public static async Task<OpenSslSession> GetAsync(int port, string serverName, params string[] options)
    {
        var text = await RunAsync(
            ["s_client", "-connect", $"127.0.0.1:{port}", "-servername", serverName, "-ign_eof", .. options],
            $"GET / HTTP/1.1\r\nHost: {serverName}\r\nConnection: close\r\n\r\n");
        var summary = text.Split('\n').FirstOrDefault(l => l.StartsWith("New, ", StringComparison.Ordinal) || l.StartsWith("Reused, ", StringComparison.Ordinal)) ?? "";
        return new OpenSslSession(summary.StartsWith("Reused", StringComparison.Ordinal), summary.Trim(), text.Contains("\nHTTP/1.1 ", StringComparison.Ordinal), text);
    }

    /// <summary>
    /// The name of the key a saved session's ticket was issued under (see <see cref="TicketKeyName"/>),
    /// from `openssl sess_id -text`; null when the session holds no ticket.
    /// </summary>
    public static async Task<string?> TicketKeyNameAsync(string session)
        => TicketKeyName(await RunAsync(["sess_id", "-in", session, "-noout", "-text"], input: null));

    /// <summary>
    /// The first 16 bytes of the "TLS session ticket:" dump in s_client's or sess_id's text: the
    /// name of the key it was issued under, in OpenSSL's ticket layout that Portico's keys follow.
    /// </summary>
    public static string? TicketKeyName(string text)
    {
        var lines = text.Split('\n');
        var start = Array.FindLastIndex(lines, l => l.Contains("TLS session ticket:", StringComparison.Ordinal));
        if (start < 0)
        {
            return null;
        }

        // "    0000 - 9a 41 ... 07-59 ... 3c   ascii": the hex pairs between " - " and the ASCII column.
        var bytes = lines.Skip(start + 1).TakeWhile(l => l.Contains(" - ", StringComparison.Ordinal))
            .SelectMany(l => l[(l.IndexOf(" - ", StringComparison.Ordinal) + 3)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).TakeWhile(t => t.Length is 2 or 5).SelectMany(t => t.Split('-')))
            .Take(16).ToArray();
        return bytes.Length == 16 ? string.Concat(bytes).ToUpperInvariant() : null;
    }

    /// <summary>Runs openssl with <paramref name="arguments"/>, writes <paramref name="input"/> (stdin stays open, as -ign_eof wants), returns stdout and stderr; at most 60 s.</summary>
    private static async Task<string> RunAsync(IEnumerable<string> arguments, string? input)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            await process.StandardInput.FlushAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"openssl {string.Join(' ', arguments)} did not finish in 60 s");
        }

        return await output + await errors;
    }
}

/// <summary>What s_client reported: whether the session was resumed, its "New, TLSv1.3, Cipher is …" line, whether an HTTP response came back, and all it wrote.</summary>
internal sealed record OpenSslSession(bool Resumed, string Summary, bool Answered, string Output);
