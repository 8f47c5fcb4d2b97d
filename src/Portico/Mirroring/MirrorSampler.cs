namespace Portico.Mirroring;

/// <summary>
/// Which requests are copied: a random draw per request (the randomness seam tests replace).
/// Random rather than every Nth request, so the copies do not fall into step with a pattern in
/// the traffic (a page and its assets in turn) and skip one kind of request altogether.
/// </summary>
internal sealed class MirrorSampler(Random random)
{
    public bool Take(double percent) => percent >= 100 || (percent > 0 && random.NextDouble() * 100 < percent);
}
