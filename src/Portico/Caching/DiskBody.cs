namespace Portico.Caching;

/// <summary>
/// A body in one of the disk tier's files: bytes [0, <see cref="Length"/>) of
/// <see cref="Path"/>, whose XXH3 is <see cref="Hash"/> (checked as it is read, so a file
/// damaged after it was written is never passed off as the stored response).
/// </summary>
/// <param name="Spool">True while the file is still the writer's temporary one, not yet in the tier.</param>
internal sealed record DiskBody(string Path, long Length, ulong Hash, bool Spool = false);
