using System.Text;
using Portico.Configuration.Model;

namespace Portico.Security.Waf;

/// <summary>
/// The ModSecurity configuration Portico generates for one <see cref="WafProfile"/>: engine
/// settings, the CRS setup (which Portico's settings replace, so Debian's crs-setup.conf is not
/// read), the rule files, then the route's exclusions. Files are named one by one with plain
/// `Include`: libmodsecurity 3.0.9 refuses the `IncludeOptional` of Debian's CRS load file.
/// </summary>
internal static class WafRulesText
{
    /// <summary>The CRS files that inspect requests, in load order; responses are not inspected, so RESPONSE-*.conf is left out.</summary>
    public static string[] CrsFiles(string crsDirectory)
    {
        var rules = Path.Combine(crsDirectory, "rules");
        return Directory.Exists(rules)
            ? Directory.GetFiles(rules, "REQUEST-*.conf").Order(StringComparer.Ordinal).ToArray()
            : [];
    }

    public static string For(WafProfile profile, WafSettings global, IReadOnlyList<string> crsFiles)
    {
        var text = new StringBuilder();
        // On even for `detect` routes: the intervention then tells Portico what would have been refused.
        Line(text, "SecRuleEngine On");
        Line(text, "SecRequestBodyAccess On");
        // Portico hands the engine at most this much; the rest of a larger body is forwarded uninspected.
        Line(text, $"SecRequestBodyLimit {global.RequestBodyLimit}");
        Line(text, $"SecRequestBodyNoFilesLimit {global.RequestBodyLimit}");
        Line(text, "SecRequestBodyLimitAction ProcessPartial");
        Line(text, "SecResponseBodyAccess Off");
        Line(text, "SecAuditEngine Off");

        // The body parsers ModSecurity's recommended base configuration selects by content type.
        Line(text, """SecRule REQUEST_HEADERS:Content-Type "@rx ^(?:application(?:/soap\+|/)|text/)xml" "id:99001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML" """);
        Line(text, """SecRule REQUEST_HEADERS:Content-Type "@rx ^application/json" "id:99002,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON" """);

        if (crsFiles.Count > 0)
        {
            // CRS anomaly scoring: rules add to a score, and 949110 refuses the request at the threshold.
            // CRS 3.x reads tx.paranoia_level, 4.x tx.blocking_paranoia_level; both are set.
            Line(text, "SecDefaultAction \"phase:1,log,auditlog,pass\"");
            Line(text, "SecDefaultAction \"phase:2,log,auditlog,pass\"");
            Line(text, $"SecAction \"id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level={profile.Paranoia},setvar:tx.blocking_paranoia_level={profile.Paranoia}\"");
            Line(text, $"SecAction \"id:900110,phase:1,nolog,pass,t:none,setvar:tx.inbound_anomaly_score_threshold={profile.AnomalyThreshold}\"");
            Line(text, $"SecAction \"id:900200,phase:1,nolog,pass,t:none,setvar:'tx.allowed_methods={string.Join(' ', global.AllowedMethods)}'\"");
            Line(text, "SecAction \"id:900990,phase:1,nolog,pass,t:none,setvar:tx.crs_setup_version=334\"");
        }

        foreach (var file in global.SetupFiles)
        {
            Line(text, $"Include {file}");
        }

        if (crsFiles.Count > 0)
        {
            foreach (var file in crsFiles)
            {
                Line(text, $"Include {file}");
            }
        }

        // libmodsecurity 3.0.9 keeps the CRLF that ends a multipart part's header in
        // MULTIPART_PART_HEADERS, so CRS's content-type collector (922150) captures
        // "text/plain; charset=utf-8\r\n" and 922110 refuses every upload whose parts name a
        // charset, as browsers and HttpClient do. Trimming the value first removes that.
        if (crsFiles.Any(f => f.EndsWith("-922-MULTIPART-ATTACK.conf", StringComparison.Ordinal) && File.ReadAllText(f).Contains("id:922150", StringComparison.Ordinal)))
        {
            Line(text, "SecRuleUpdateActionById 922150 \"t:none,t:lowercase,t:trim\"");
        }

        foreach (var file in global.RuleFiles)
        {
            Line(text, $"Include {file}");
        }

        // After every rule is defined: SecRuleRemoveById removes only rules it has seen.
        if (profile.Exclusions.Length > 0)
        {
            Line(text, $"SecRuleRemoveById {profile.Exclusions}");
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
