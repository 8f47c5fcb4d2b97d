using System.Runtime.InteropServices;

namespace Portico.Security.Waf;

/// <summary>
/// A parsed ModSecurity rule set. Any number of requests use one at once; each transaction holds
/// a reference, so a set replaced by a reload is freed only when its last request is done.
/// </summary>
internal sealed class WafRuleSet : SafeHandle
{
    private WafRuleSet()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Parses <paramref name="rules"/> into a new set under the process-wide parse lock; null and the library's reason on failure.</summary>
    public static WafRuleSet? Parse(string rules, out string? error)
    {
        var (set, message) = WafLibrary.Parse<(WafRuleSet?, string?)>(() =>
        {
            var created = new WafRuleSet();
            created.SetHandle(ModSecurityNative.msc_create_rules_set());
            if (ModSecurityNative.msc_rules_add(created.handle, rules, out var failure) >= 0)
            {
                return (created, null);
            }

            created.Dispose();
            return (null, ModSecurityNative.TakeString(failure) ?? "the rules could not be parsed");
        });
        error = message;
        return set;
    }

    protected override bool ReleaseHandle()
    {
        ModSecurityNative.msc_rules_cleanup(handle);
        return true;
    }
}
