using System.Text.Json;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Security.Waf;

/// <summary>Reads a proxy's WAF audit log file: the JSON line of one request, by its id.</summary>
internal sealed class WafAudit(string path)
{
    public string Path { get; } = path;

    /// <summary>The entry of <paramref name="requestId"/>, once the writer has flushed it.</summary>
    public async Task<JsonElement> EntryAsync(string requestId)
    {
        JsonElement? found = null;
        await Poll.UntilAsync(() => (found = Find(requestId)) is not null, $"the audit entry of {requestId}");
        return found!.Value;
    }

    public JsonElement? Find(string requestId)
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || !line.EndsWith('}'))
            {
                continue;
            }

            var entry = JsonDocument.Parse(line).RootElement;
            if (entry.GetProperty("requestId").GetString() == requestId)
            {
                return entry.Clone();
            }
        }

        return null;
    }
}
