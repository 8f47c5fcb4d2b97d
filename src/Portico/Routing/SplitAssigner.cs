using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;

namespace Portico.Routing;

/// <summary>
/// Picks a request's arm of a split: a forced arm if the request names one, else the arm whose
/// slice of [0, 1) holds the point its sticky key hashes to (XXH3, the same in every Portico
/// process, so several instances agree). The point depends on the key alone, not on the route or
/// the weights: one client falls at the same point on every route, and a change of weights moves
/// only the clients whose point changes owner.
/// </summary>
internal static class SplitAssigner
{
    public static (SplitArm Arm, SplitAssignment How, string? NewClientId) Assign(SplitSettings split, HttpContext context)
    {
        if (Forced(split, context) is { } forced)
        {
            return (forced, SplitAssignment.Forced, null);
        }

        string key;
        string? newId = null;
        if (split.Sticky is { } sticky)
        {
            key = sticky.KeyOf(context);
        }
        else if (context.Request.Cookies[split.Cookie] is { Length: > 0 } id)
        {
            key = id;
        }
        else
        {
            key = newId = NewClientId();
        }

        return (ArmAt(split, PointOf(key)), newId is null ? SplitAssignment.Sticky : SplitAssignment.New, newId);
    }

    /// <summary>The arm whose slice of [0, 1) holds <paramref name="point"/>.</summary>
    public static SplitArm ArmAt(SplitSettings split, double point)
    {
        for (var i = 0; i < split.Bounds.Count; i++)
        {
            if (point < split.Bounds[i])
            {
                return split.Arms[i];
            }
        }

        return split.Arms[^1];
    }

    /// <summary>The key's point in [0, 1): the top 53 bits of its XXH3 hash, as a double holds them exactly.</summary>
    public static double PointOf(string key)
        => (XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(key)) >> 11) * (1.0 / (1UL << 53));

    private static SplitArm? Forced(SplitSettings split, HttpContext context)
    {
        var named = split.ForceHeader is { } header && context.Request.Headers[header].ToString() is { Length: > 0 } h ? h
            : split.ForceCookie is { } cookie ? context.Request.Cookies[cookie] : null;
        if (named is null)
        {
            return null;
        }

        foreach (var arm in split.Arms)
        {
            if (string.Equals(arm.Cluster, named, StringComparison.OrdinalIgnoreCase))
            {
                return arm;
            }
        }

        // A name that is no arm forces nothing: the client gets its usual arm.
        return null;
    }

    // 128 random bits: unguessable, so one client cannot pick another's arm by copying an id pattern.
    private static string NewClientId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
