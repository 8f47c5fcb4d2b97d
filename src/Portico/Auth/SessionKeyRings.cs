using System.Collections.Concurrent;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>
/// The data-protection key rings that encrypt OIDC session cookies and login state, one per
/// `auth.dataProtection` store, kept for the life of the process so a reload reuses the ring it
/// had (and its cached keys) instead of reading the directory again. The ring is persisted, so a
/// restart decrypts the cookies issued before it. The process-wide data protection that
/// Forwarding registers stays ephemeral: it protects nothing that must outlive the process.
/// With a `redis` section and no `keysDir`, the ring is kept in Redis (<see cref="RedisXmlRepository"/>),
/// so every instance sharing it reads the sessions any of them issued.
/// </summary>
internal sealed class SessionKeyRings(TimeProvider time)
{
    /// <summary>Keys are isolated by application name: two Portico configs sharing a directory share their sessions.</summary>
    private const string ApplicationName = "portico";

    private readonly ConcurrentDictionary<string, IDataProtectionProvider> _rings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (IDataProtectionProvider, RedisXmlRepository)> _shared = new(StringComparer.Ordinal);

    /// <summary>
    /// The ring kept in Redis under <paramref name="settings"/>' key prefix, and its repository,
    /// which reads through the serving host's connection once attached (see <see cref="RedisXmlRepository"/>).
    /// </summary>
    public (IDataProtectionProvider Provider, RedisXmlRepository Repository) ForRedis(RedisSettings settings) => _shared.GetOrAdd(settings.KeyPrefix, _ =>
    {
        var repository = new RedisXmlRepository(time);
        var services = new ServiceCollection();
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = repository);
        return (services.BuildServiceProvider().GetRequiredService<IDataProtectionProvider>(), repository);
    });

    /// <summary>The ring kept in <paramref name="settings"/>; null, with <paramref name="error"/> told why, when the directory cannot be made or written.</summary>
    public IDataProtectionProvider? For(DataProtectionSettings settings, Action<string> error)
    {
        var dir = settings.KeysDir;
        if (_rings.TryGetValue(dir, out var ring))
        {
            return ring;
        }

        try
        {
            // The key files are the secret that decrypts every session: readable by Portico only.
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(dir);
            }
            else
            {
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            using (File.Create(Path.Combine(dir, ".portico-write-check"), 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error($"cannot keep the session key ring in {dir}: {ex.Message}");
            return null;
        }

        return _rings.GetOrAdd(dir, d => DataProtectionProvider.Create(new DirectoryInfo(d), b => b.SetApplicationName(ApplicationName)));
    }
}
