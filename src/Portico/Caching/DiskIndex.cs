namespace Portico.Caching;

/// <summary>
/// What the disk tier holds, in memory: each URL's files (one per variant, with its Vary values,
/// size and tags) in least-recently-used order, within the tier's byte budget, and from each tag
/// the files so tagged, changed with them so it never names a file that is gone. Only names,
/// sizes and tags are kept here; heads are read from the files, so the index stays small for a
/// large tier.
/// </summary>
/// <param name="evicted">Called with an evicted URL and its files, to delete them.</param>
internal sealed class DiskIndex(long budget, Action<string, IReadOnlyList<string>> evicted)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<Slot>> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _keyOfPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _pathsOfTag = new(StringComparer.Ordinal);
    private readonly LinkedList<Slot> _recency = new();
    private readonly StoreUsage _usage = new();

    public (long Entries, long Bytes) Usage => _usage.Now;

    public bool Contains(string path)
    {
        lock (_gate)
        {
            return _keyOfPath.ContainsKey(path);
        }
    }

    /// <summary>The files of <paramref name="key"/>, most recently stored first, marking it used; null when not indexed.</summary>
    public IReadOnlyList<string>? Files(string key)
    {
        lock (_gate)
        {
            if (!_slots.TryGetValue(key, out var node))
            {
                return null;
            }

            MoveToFront(node);
            return node.Value.Files.Select(f => f.Path).ToArray();
        }
    }

    public int Touch(string key)
    {
        lock (_gate)
        {
            if (!_slots.TryGetValue(key, out var node))
            {
                return 0;
            }

            MoveToFront(node);
            return node.Value.Files.Count;
        }
    }

    /// <summary>Adds or replaces the variant's file, then evicts to the budget (never <paramref name="key"/> itself).</summary>
    /// <param name="front">As most recently used (a store, a lookup); false for files indexed at start, oldest last.</param>
    public void Add(string key, string path, IReadOnlyList<KeyValuePair<string, string>> vary, IReadOnlyList<string> tags, long bytes, bool front)
    {
        var dropped = new List<(string, IReadOnlyList<string>)>();
        lock (_gate)
        {
            if (!_slots.TryGetValue(key, out var node))
            {
                node = front ? _recency.AddFirst(new Slot(key)) : _recency.AddLast(new Slot(key));
                _slots[key] = node;
            }
            else if (front)
            {
                MoveToFront(node);
            }

            var files = node.Value.Files;
            var same = files.FindIndex(f => f.Path == path || f.Vary.SequenceEqual(vary));
            if (same >= 0)
            {
                Forget(files[same]);
                if (files[same].Path != path)
                {
                    dropped.Add((key, [files[same].Path]));
                }

                files.RemoveAt(same);
            }

            files.Insert(front ? 0 : files.Count, new Variant(path, vary, bytes, tags));
            _keyOfPath[path] = key;
            Account(bytes, 1);
            foreach (var tag in tags)
            {
                if (!_pathsOfTag.TryGetValue(tag, out var paths))
                {
                    paths = new HashSet<string>(StringComparer.Ordinal);
                    _pathsOfTag[tag] = paths;
                }

                paths.Add(path);
            }
            if (front)
            {
                TrimLocked(node, dropped);
            }
        }

        Evict(dropped);
    }

    /// <summary>Evicts to the budget; after the start-up index, whose files may exceed a budget since lowered.</summary>
    public void Trim()
    {
        var dropped = new List<(string, IReadOnlyList<string>)>();
        lock (_gate)
        {
            TrimLocked(null, dropped);
        }

        Evict(dropped);
    }

    public int Remove(string key)
    {
        IReadOnlyList<string> paths;
        lock (_gate)
        {
            paths = DropLocked(key);
        }

        Evict([(key, paths)], counted: false);
        return paths.Count;
    }

    public int RemovePrefix(string prefix)
    {
        var dropped = new List<(string, IReadOnlyList<string>)>();
        lock (_gate)
        {
            foreach (var key in _slots.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToArray())
            {
                dropped.Add((key, DropLocked(key)));
            }
        }

        Evict(dropped, counted: false);
        return dropped.Sum(d => d.Item2.Count);
    }

    /// <summary>The files tagged with one of <paramref name="tags"/>.</summary>
    public IReadOnlyList<string> Tagged(IReadOnlyCollection<string> tags)
    {
        lock (_gate)
        {
            return tags.SelectMany(t => _pathsOfTag.GetValueOrDefault(t) ?? []).Distinct(StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>Forgets one file (found damaged or gone, or purged) and deletes it.</summary>
    public void RemoveFile(string path)
    {
        lock (_gate)
        {
            if (_keyOfPath.TryGetValue(path, out var key) && _slots.TryGetValue(key, out var node))
            {
                var files = node.Value.Files;
                var at = files.FindIndex(f => f.Path == path);
                Forget(files[at]);
                files.RemoveAt(at);
                if (files.Count == 0)
                {
                    _slots.Remove(key);
                    _recency.Remove(node);
                }
            }
        }

        DiskBodyWriter.Delete(path);
    }

    private void TrimLocked(LinkedListNode<Slot>? keep, List<(string, IReadOnlyList<string>)> dropped)
    {
        while (_usage.Bytes > budget && _recency.Last is { } last && last != keep)
        {
            dropped.Add((last.Value.Key, DropLocked(last.Value.Key)));
        }
    }

    private IReadOnlyList<string> DropLocked(string key)
    {
        if (!_slots.Remove(key, out var node))
        {
            return [];
        }

        _recency.Remove(node);
        foreach (var file in node.Value.Files)
        {
            Forget(file);
        }

        return node.Value.Files.Select(f => f.Path).ToArray();
    }

    // Files are deleted outside the lock: a slow device must not hold up lookups.
    private void Evict(List<(string Key, IReadOnlyList<string> Paths)> dropped, bool counted = true)
    {
        foreach (var (key, paths) in dropped)
        {
            if (counted)
            {
                evicted(key, paths);
            }
            else
            {
                foreach (var path in paths)
                {
                    DiskBodyWriter.Delete(path);
                }
            }
        }
    }

    private void MoveToFront(LinkedListNode<Slot> node)
    {
        _recency.Remove(node);
        _recency.AddFirst(node);
    }

    private void Account(long bytes, long entries) => _usage.Add(bytes, entries);

    // Whatever takes a file out of a slot takes it out of the counts and the tag index too.
    private void Forget(Variant file)
    {
        Account(-file.Bytes, -1);
        _keyOfPath.Remove(file.Path);
        foreach (var tag in file.Tags)
        {
            if (_pathsOfTag.TryGetValue(tag, out var paths) && paths.Remove(file.Path) && paths.Count == 0)
            {
                _pathsOfTag.Remove(tag);
            }
        }
    }

    private sealed record Variant(string Path, IReadOnlyList<KeyValuePair<string, string>> Vary, long Bytes, IReadOnlyList<string> Tags);

    private sealed record Slot(string Key)
    {
        public List<Variant> Files { get; } = [];
    }
}
