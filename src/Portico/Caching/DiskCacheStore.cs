using System.Diagnostics;
using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.Primitives;
using Portico.Configuration.Model;

namespace Portico.Caching;

/// <summary>
/// The disk tier: one file per stored variant (see <see cref="DiskEntryFormat"/>) under
/// `DIR/xx/KEYHASH-VARYHASH.entry`, bounded by `cache.disk.maxSize` bytes, least recently used
/// URL (with all its variants) deleted first. A file enters the tier only whole: written under
/// `DIR/tmp`, flushed to the device, then renamed into place, which replaces any older file
/// for the variant in one step, so a crash leaves either the old file, the new one, or a
/// temporary file that the next start deletes. At start the files are indexed in the
/// background (most recently written first); until that is done, a URL not yet indexed is
/// looked up by its file names, which derive from its key.
/// </summary>
internal sealed class DiskCacheStore
{
    private const string Extension = ".entry";

    private readonly DiskCacheSettings _settings;
    private readonly Func<IReadOnlyList<KeyValuePair<string, StringValues>>, CacheDirectives> _directives;
    private readonly DiskCacheLog _log;
    private readonly CacheMetrics _metrics;
    private readonly DiskIndex _index;
    private readonly string _spool;

    // Placing a file (the look at what it replaces, the rename, the index) is one step.
    private readonly Lock _placing = new();

    public DiskCacheStore(DiskCacheSettings settings, Func<IReadOnlyList<KeyValuePair<string, StringValues>>, CacheDirectives> directives, DiskCacheLog log, CacheMetrics metrics)
    {
        _settings = settings;
        _directives = directives;
        _log = log;
        _metrics = metrics;
        _index = new DiskIndex(settings.MaxSizeBytes, Evicted);
        _spool = Path.Combine(settings.Directory, "tmp");
        Directory.CreateDirectory(_spool);
        foreach (var leftover in Directory.EnumerateFiles(_spool))
        {
            DiskBodyWriter.Delete(leftover);
        }

        Indexing = Task.Run(IndexAll);
    }

    /// <summary>Completes when the files found at start are indexed.</summary>
    public Task Indexing { get; }

    public long MaxObjectSizeBytes => _settings.MaxObjectSizeBytes;

    public (long Entries, long Bytes) Usage => _index.Usage;

    /// <summary>A writer for a body on its way from the origin; null when the tier cannot take one now.</summary>
    public DiskBodyWriter? BeginBody()
    {
        var path = Path.Combine(_spool, Guid.NewGuid().ToString("N"));
        try
        {
            return new DiskBodyWriter(path, _settings.MaxObjectSizeBytes, (p, e) => Failed("write", () => _log.WriteFailed(p, e.Message)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failed("write", () => _log.WriteFailed(path, e.Message));
            return null;
        }
    }

    /// <summary>How many variants of <paramref name="key"/> the index holds, marking the URL used.</summary>
    public int Touch(string key) => _index.Touch(key);

    /// <summary>Every stored variant of <paramref name="key"/>, bodies left in their files.</summary>
    public IReadOnlyList<CacheEntry> Get(string key)
    {
        var files = _index.Files(key);
        if (files is null && !Indexing.IsCompleted)
        {
            files = ByName(key);
        }

        var entries = new List<CacheEntry>();
        foreach (var path in files ?? [])
        {
            if (Load(path) is { } entry && entry.Key == key)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>
    /// Puts <paramref name="entry"/> in the tier: a spooled body is closed and renamed into
    /// place; a body held elsewhere (in memory, or in another file, for a 304's update) is first
    /// written to a new spool file.
    /// </summary>
    public async ValueTask SetAsync(CacheEntry entry)
    {
        if (entry.BodyLength > _settings.MaxObjectSizeBytes)
        {
            if (entry.File is { Spool: true } spool)
            {
                DiskBodyWriter.Delete(spool.Path);
            }

            return;
        }

        var body = entry.File is { Spool: true } ? entry.File : await SpoolAsync(entry);
        if (body is null)
        {
            return;
        }

        var final = FileOf(entry.Key, entry.Vary);
        try
        {
            var closing = DiskEntryFormat.Close(entry, body.Length, body.Hash);
            await using (var file = new FileStream(body.Path, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true))
            {
                await file.WriteAsync(closing);

                // On the device before the rename makes it visible: a crash never exposes a file
                // whose rename survived but whose bytes did not.
                file.Flush(flushToDisk: true);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            lock (_placing)
            {
                // A part never replaces a complete response (RFC 9111 §3.4), nor does a response
                // replace one that arrived after it. PartialStore looked before it prepared the part,
                // but a 200 may have been placed since; and a miss's write may land after the write of
                // the refresh that followed it (the writes run in the background, in either order):
                // decided here, where files are placed.
                if (File.Exists(final) && Load(final) is { } held && held.Key == entry.Key
                    && ((entry.Ranges is not null && held.Ranges is null) || held.ResponseTime > entry.ResponseTime))
                {
                    DiskBodyWriter.Delete(body.Path);
                    return;
                }

                File.Move(body.Path, final, overwrite: true);
                _index.Add(entry.Key, final, entry.Vary, entry.Tags, body.Length + closing.Length, front: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failed("write", () => _log.WriteFailed(final, e.Message));
            DiskBodyWriter.Delete(body.Path);
        }
    }

    public async ValueTask<int> RemoveAsync(string key)
    {
        await Indexing;
        return _index.Remove(key);
    }

    public async ValueTask<int> RemovePrefixAsync(string prefix)
    {
        await Indexing;
        return _index.RemovePrefix(prefix);
    }

    /// <summary>
    /// Every file tagged with one of <paramref name="tags"/>: deleted, or with
    /// <paramref name="staleFrom"/> written again with that instant in its head (its body copied),
    /// so a soft purge outlives a restart; returns how many.
    /// </summary>
    public async ValueTask<int> PurgeTagsAsync(IReadOnlyCollection<string> tags, DateTimeOffset? staleFrom)
    {
        await Indexing;
        var paths = _index.Tagged(tags);
        if (staleFrom is not { } at)
        {
            foreach (var path in paths)
            {
                _index.RemoveFile(path);
            }

            return paths.Count;
        }

        var marked = 0;
        foreach (var path in paths)
        {
            if (Load(path) is { } entry)
            {
                marked++;

                // A second soft purge does not move the first one's instant: staleness counts from the first.
                if (entry.StaleFrom is null)
                {
                    await SetAsync(entry with { StaleFrom = at });
                }
            }
        }

        return marked;
    }

    /// <summary>Drops a file found damaged while serving it.</summary>
    public void Damaged(string path, string reason)
    {
        // Gone is not damaged: evicted or purged between the lookup and the read.
        if (File.Exists(path))
        {
            Failed("damaged", () => _log.Damaged(path, reason));
        }

        _index.RemoveFile(path);
    }

    private async ValueTask<DiskBody?> SpoolAsync(CacheEntry entry)
    {
        using var writer = BeginBody();
        if (writer is null)
        {
            return null;
        }

        if (entry.InMemory)
        {
            await writer.WriteAsync(entry.Body, CancellationToken.None);
        }
        else
        {
            var copy = new DiskWriterStream(writer);
            if (!await DiskBodyReader.CopyAsync(entry.File!, 0, entry.BodyLength, copy, CancellationToken.None))
            {
                return null;
            }
        }

        return await writer.FinishAsync();
    }

    private CacheEntry? Load(string path)
    {
        try
        {
            var entry = DiskEntryFormat.Read(path, _directives, out var damage);
            if (entry is null)
            {
                Damaged(path, damage!);
            }

            return entry;
        }
        catch (FileNotFoundException)
        {
            _index.RemoveFile(path);
            return null;
        }
        catch (Exception e) when (e is EndOfStreamException or DecoderFallbackException or FormatException)
        {
            // The trailer and head checksum held, yet the head does not parse: written by another version or tool.
            Damaged(path, e.Message);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The device or permissions failed us, not the file: kept, for a later read to succeed.
            Failed("read", () => _log.ReadFailed(path, e.Message));
            return null;
        }
    }

    // Before the index has reached a URL: its files are the ones named after its key.
    private string[] ByName(string key)
    {
        var name = KeyHash(key);
        var folder = Path.Combine(_settings.Directory, name[..2]);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var found = Directory.GetFiles(folder, name + "-*" + Extension);
        foreach (var path in found)
        {
            if (Load(path) is { } entry)
            {
                _index.Add(entry.Key, path, entry.Vary, entry.Tags, new FileInfo(path).Length, front: true);
            }
        }

        return found;
    }

    private void IndexAll()
    {
        var clock = Stopwatch.StartNew();
        var files = new DirectoryInfo(_settings.Directory).EnumerateFiles("*" + Extension, SearchOption.AllDirectories)
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .ToArray();
        foreach (var file in files)
        {
            if (!_index.Contains(file.FullName) && Load(file.FullName) is { } entry)
            {
                // Behind whatever was stored or looked up since start: those are more recent.
                _index.Add(entry.Key, file.FullName, entry.Vary, entry.Tags, file.Length, front: false);
            }
        }

        _index.Trim();
        var (entries, bytes) = _index.Usage;
        _log.Indexed(_settings.Directory, entries, bytes, clock.ElapsedMilliseconds);
    }

    private void Evicted(string key, IReadOnlyList<string> paths)
    {
        _metrics.Evicted(paths.Count, CacheTiers.Disk);
        foreach (var path in paths)
        {
            DiskBodyWriter.Delete(path);
        }
    }

    private void Failed(string operation, Action log)
    {
        _metrics.DiskError(operation);
        log();
    }

    private string FileOf(string key, IReadOnlyList<KeyValuePair<string, string>> vary)
    {
        var name = KeyHash(key);
        var varyText = string.Join('\n', vary.Select(v => v.Key + ":" + v.Value));
        var varyHash = XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(varyText)).ToString("x16");
        return Path.Combine(_settings.Directory, name[..2], $"{name}-{varyHash}{Extension}");
    }

    private static string KeyHash(string key) => Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(key)));
}
