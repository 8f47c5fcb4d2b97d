using System.Collections.Frozen;
using System.Security.Cryptography;
using Portico.Configuration;

namespace Portico.Auth;

/// <summary>
/// An htpasswd file of `user:bcrypt-hash` lines (htpasswd -B; `#` comments). A name that is not
/// in the file is checked against a hash of a random password with the file's highest cost, so
/// an unknown user costs the same bcrypt work as a wrong password and the two cannot be told
/// apart by timing.
/// </summary>
internal sealed class Htpasswd
{
    private readonly FrozenDictionary<string, string> _hashes;
    private readonly string _dummy;

    private Htpasswd(FrozenDictionary<string, string> hashes, string dummy)
    {
        _hashes = hashes;
        _dummy = dummy;
    }

    public int Count => _hashes.Count;

    /// <summary>Whether <paramref name="password"/> is <paramref name="user"/>'s; the same work whether or not the user exists.</summary>
    public bool Verify(string user, string password)
    {
        var matches = BCrypt.Net.BCrypt.Verify(password, HashChecked(user));
        return _hashes.ContainsKey(user) && matches;
    }

    /// <summary>The hash <see cref="Verify"/> checks a password of <paramref name="user"/>'s against: the user's, or the dummy, whose cost (the work bcrypt does) is the file's highest.</summary>
    internal string HashChecked(string user) => _hashes.GetValueOrDefault(user) ?? _dummy;

    public static Htpasswd? Parse(string text, ConfigErrors errors)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var maxCost = 4;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                errors.Add(number, "", "expected user:hash");
                continue;
            }

            var user = line[..colon];
            var hash = line[(colon + 1)..];
            if (!IsBcrypt(hash, out var cost))
            {
                errors.Add(number, "", $"the hash for '{user}' is not bcrypt ($2y$, $2b$ or $2a$; create it with htpasswd -B)");
                continue;
            }

            if (!hashes.TryAdd(user, hash))
            {
                errors.Add(number, "", $"'{user}' is listed twice");
                continue;
            }

            maxCost = Math.Max(maxCost, cost);
        }

        if (errors.Any)
        {
            return null;
        }

        var dummy = BCrypt.Net.BCrypt.HashPassword(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), maxCost);
        return new Htpasswd(hashes.ToFrozenDictionary(StringComparer.Ordinal), dummy);
    }

    // Modular crypt format: $2y$NN$ then 53 characters of bcrypt's base64 (salt and digest).
    private static bool IsBcrypt(string hash, out int cost)
    {
        cost = 0;
        return hash.Length == 60 && hash[0] == '$' && hash[1] == '2' && hash[2] is 'a' or 'b' or 'y' && hash[3] == '$' && hash[6] == '$'
               && int.TryParse(hash.AsSpan(4, 2), out cost) && cost is >= 4 and <= 31
               && hash.AsSpan(7).IndexOfAnyExcept("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") < 0;
    }
}
