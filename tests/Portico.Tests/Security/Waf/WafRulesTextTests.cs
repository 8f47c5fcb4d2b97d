using Portico.Configuration.Model;
using Portico.Security.Waf;

namespace Portico.Tests.Security.Waf;

public sealed class WafRulesTextTests
{
    [Fact]
    public void The_crs_is_listed_file_by_file_with_plain_include_and_exclusions_come_after_every_rule()
    {
        var global = new WafSettings { SetupFiles = ["/etc/portico/crs-setup.conf"], RuleFiles = ["/etc/portico/own.conf"] };
        var crs = WafRulesText.CrsFiles(WafSettings.DebianCrs);

        var text = WafRulesText.For(new WafProfile(2, 7, "920350 942100-942199"), global, crs);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Contains(crs, f => f.EndsWith("/REQUEST-942-APPLICATION-ATTACK-SQLI.conf", StringComparison.Ordinal));
        Assert.DoesNotContain(crs, f => Path.GetFileName(f).StartsWith("RESPONSE-", StringComparison.Ordinal));
        Assert.DoesNotContain("IncludeOptional", text);
        Assert.Equal(crs.Select(f => $"Include {f}"), lines.Where(l => l.StartsWith("Include /usr/share/", StringComparison.Ordinal)));
        Assert.Contains("setvar:tx.paranoia_level=2,setvar:tx.blocking_paranoia_level=2", text);
        Assert.Contains("setvar:tx.inbound_anomaly_score_threshold=7", text);
        Assert.Contains("setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'", text);
        var setup = Array.IndexOf(lines, "Include /etc/portico/crs-setup.conf");
        var own = Array.IndexOf(lines, "Include /etc/portico/own.conf");
        Assert.True(setup >= 0 && setup < Array.IndexOf(lines, $"Include {crs[0]}"));
        Assert.True(own > Array.IndexOf(lines, $"Include {crs[^1]}"));
        // The body-error rules come after the CRS (its findings are what a refusal names) and before
        // the operator's files (so SecRuleRemoveById there can drop them).
        var bodyError = Array.FindIndex(lines, l => l.Contains("id:99010,", StringComparison.Ordinal));
        Assert.True(bodyError > Array.IndexOf(lines, $"Include {crs[^1]}") && bodyError < own);
        Assert.Equal("SecRuleRemoveById 920350 942100-942199", lines[^1]);
    }

    [Fact]
    public void Routes_that_differ_only_in_mode_share_a_profile()
    {
        var global = new WafSettings { Paranoia = 2 };

        var block = WafProfile.Of(new RouteWafSettings { Mode = WafMode.Block, ExcludeRules = ["942100", "920350"] }, global);
        var detect = WafProfile.Of(new RouteWafSettings { Mode = WafMode.Detect, ExcludeRules = ["920350", "942100"] }, global);

        Assert.Equal(block, detect);
        Assert.Equal(new WafProfile(2, 5, "920350 942100"), block);
    }

    [Fact]
    public void Rule_fields_are_read_from_the_library_s_log_line()
    {
        var matches = new WafMatches();
        matches.Add("""ModSecurity: Warning. Matched "Operator `Rx' with parameter `x' against variable `ARGS:q' [file "/usr/share/modsecurity-crs/rules/REQUEST-941-APPLICATION-ATTACK-XSS.conf"] [line "55"] [id "941100"] [rev ""] [msg "XSS Attack Detected via libinjection"] [data "Matched Data: XSS data found within ARGS:q: <a href=\"x\">"] [severity "2"] [ver "OWASP_CRS/3.3.7"] [tag "attack-xss"] [hostname "127.0.0.1"] [uri "/"] [unique_id "req-1"]""");
        matches.Add("a line without a rule id");

        var match = Assert.Single(matches.All);
        Assert.Equal(new WafMatch("941100", "XSS Attack Detected via libinjection", "Matched Data: XSS data found within ARGS:q: <a href=\"x\">", 2), match);
    }
}
