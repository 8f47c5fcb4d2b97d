using Portico.Cli;

namespace Portico.Tests.Caching;

/// <summary>`cache.disk` errors that depend on the machine (a directory Portico cannot write), as `portico check` reports them.</summary>
public sealed class DiskTierConfigTests
{
    [Theory]
    [InlineData("/proc/portico-cache", "cache.disk.dir: '/proc/portico-cache' cannot be written: no file can be created in /proc")]
    [InlineData("/etc/hostname", "cache.disk.dir: '/etc/hostname' cannot be written: it is a file")]
    public async Task A_directory_that_cannot_be_written_is_a_config_error(string dir, string error)
    {
        var loaded = await StandaloneLoader.LoadTextAsync($$"""
            cache: { disk: { dir: "{{dir}}" } }
            routes:
              a: { cluster: app, cache: {} }
            clusters:
              app: { destinations: [http://127.0.0.1:9000] }
            """, "disk.yaml");

        Assert.Contains(loaded.Errors, e => e.ToString().StartsWith("disk.yaml:1: " + error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_writable_directory_is_created_at_start_not_by_the_check()
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("portico-check-").FullName, "cache", "tier");
        var loaded = await StandaloneLoader.LoadTextAsync($$"""
            listeners: { public: { address: "127.0.0.1:8080" } }
            cache: { disk: { dir: "{{dir}}", maxSize: 2GiB } }
            routes:
              a: { cluster: app, cache: {} }
            clusters:
              app: { destinations: [http://127.0.0.1:9000] }
            """, "disk.yaml");

        Assert.Empty(loaded.Errors);
        Assert.Equal(dir, loaded.Settings!.Cache.Disk!.Directory);
        Assert.Equal(2L << 30, loaded.Settings.Cache.Disk.MaxSizeBytes);
        Assert.Equal(1L << 30, loaded.Settings.Cache.Disk.MaxObjectSizeBytes);
        Assert.False(Directory.Exists(dir));
    }
}
