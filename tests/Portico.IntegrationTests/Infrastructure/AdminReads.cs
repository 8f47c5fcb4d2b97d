using System.Text.Json;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>Figures tests read from the admin API, through a client whose base address is the admin listener.</summary>
internal static class AdminReads
{
    /// <summary>The responses the cache holds now (`/api/cache`'s `entries`).</summary>
    public static async Task<int> CacheEntriesAsync(this HttpClient admin, CancellationToken ct)
        => JsonDocument.Parse(await admin.GetStringAsync("/api/cache", ct)).RootElement.GetProperty("entries").GetInt32();
}
