using System.Security.Cryptography;
using System.Text;

namespace Portico.IntegrationTests.Auth;

/// <summary>Credential files for auth tests, written beside the test's config and replaced atomically as an operator's tools do.</summary>
internal static class AuthFiles
{
    /// <summary>The lowercase hex SHA-256 of <paramref name="key"/>, as `printf %s KEY | sha256sum` prints it.</summary>
    public static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>An htpasswd line as `htpasswd -B -C 4` writes it ($2y$, the lowest cost so tests stay quick).</summary>
    public static string HtpasswdLine(string user, string password) => $"{user}:$2y${BCrypt.Net.BCrypt.HashPassword(password, 4)[4..]}";

    public static string KeyFile(params (string Name, string Key, string[] Scopes)[] keys)
        => "keys:\n" + string.Concat(keys.Select(k => $"  - {{ name: {k.Name}, sha256: {Sha256(k.Key)}, scopes: [{string.Join(", ", k.Scopes)}] }}\n"));

    public static async Task WriteAsync(string path, string text)
    {
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>An htpasswd file with these users in a folder of its own; delete the folder when done.</summary>
    public static async Task<string> HtpasswdAsync(params (string User, string Password)[] users)
    {
        var path = Path.Combine(NewFolder(), "users");
        await WriteAsync(path, string.Concat(users.Select(u => HtpasswdLine(u.User, u.Password) + "\n")));
        return path;
    }

    /// <summary>A GET of <paramref name="path"/> with <paramref name="key"/> in X-Api-Key (none when null).</summary>
    public static async Task<HttpResponseMessage> GetWithKeyAsync(HttpClient client, string path, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>A folder for files the config names before the proxy (and its config folder) exists.</summary>
    public static string NewFolder() => Directory.CreateTempSubdirectory("portico-auth-").FullName;
}
