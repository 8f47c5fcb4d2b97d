using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Security.Waf;

/// <summary>What the operator points the WAF at: their own rules, and a machine without the library.</summary>
public sealed class WafSetupTests
{
    [Fact]
    public async Task The_operator_s_own_rules_run_without_the_crs()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("app");
        var dir = Directory.CreateTempSubdirectory("portico-waf-rules-");
        var audit = Path.Combine(dir.FullName, "audit.log");
        await File.WriteAllTextAsync(Path.Combine(dir.FullName, "own.conf"), """
            SecRule ARGS:debug "@streq 1" "id:10001,phase:1,deny,log,msg:'debug switch from outside'"
            """, ct);
        await using var proxy = await TestProxy.StartAsync($$"""
            waf: { crs: off, rules: [{{dir.FullName}}/own.conf], auditLog: {{audit}} }
            routes:
              app: { match: { pathPrefix: / }, cluster: app, waf: block }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);

        using var refused = await proxy.Client.GetAsync("/page?debug=1", ct);
        // Without the CRS, what it alone would refuse passes.
        using var passed = await proxy.Client.GetAsync("/page?id=1%27%20or%201%3D1--", ct);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
        Assert.Equal(1, backend.Count);
        var requestId = refused.Headers.GetValues("X-Request-Id").Single();
        await Poll.UntilAsync(() => File.Exists(audit) && File.ReadAllText(audit).Contains(requestId, StringComparison.Ordinal), "the audit entry");
        var line = File.ReadAllLines(audit).Single(l => l.Contains(requestId, StringComparison.Ordinal));
        Assert.Contains("\"rules\":[{\"id\":\"10001\",\"msg\":\"debug switch from outside\"", line);
    }

    [Fact]
    public async Task Requests_over_h2c_are_inspected_alike()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("app", WafFixture.EchoBodyDigest);
        await using var proxy = await TestProxy.StartAsync($$"""
            listeners:
              h2: { address: "127.0.0.1:0", protocols: [h2c] }
            waf: { auditLog: {{Path.Combine(Path.GetTempPath(), "portico-waf-h2c-audit.log")}} }
            routes:
              app: { match: { pathPrefix: / }, cluster: app, waf: block }
            clusters:
              app: { destinations: [{{backend.Url}}] }
            """);
        using var client = new HttpClient { BaseAddress = proxy.Address };
        const string json = """{"order":42,"note":"ring twice"}""";
        static HttpRequestMessage H2(HttpRequestMessage request)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            return request;
        }

        using var attack = await client.SendAsync(H2(WafTests.Get("/items?id=1%27%20or%201%3D1--")), ct);
        using var ordinary = await client.SendAsync(H2(WafTests.Post("/orders", json, "application/json")), ct);

        Assert.Equal(HttpVersion.Version20, attack.Version);
        Assert.Equal(HttpStatusCode.Forbidden, attack.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ordinary.StatusCode);
        Assert.Equal(WafFixture.Digest(System.Text.Encoding.UTF8.GetBytes(json)), await ordinary.Content.ReadAsStringAsync(ct));
        Assert.Equal(1, backend.Count);
    }

    [Fact]
    public async Task Without_the_library_check_and_start_up_name_the_package_to_install()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("portico-waf-cli-").FullName, "portico.yaml");
        await File.WriteAllTextAsync(path, """
            listeners:
              main: { address: "127.0.0.1:0" }
            admin: { enabled: false }
            routes:
              shop: { match: { pathPrefix: / }, cluster: app, waf: block }
              api: { match: { pathPrefix: /api }, cluster: app }
            clusters:
              app: { destinations: [http://127.0.0.1:9] }
            """, TestContext.Current.CancellationToken);
        var missing = new Dictionary<string, string> { ["PORTICO_LIBMODSECURITY"] = "/nonexistent/libmodsecurity.so.3" };
        const string reason = "the WAF needs libmodsecurity 3, but PORTICO_LIBMODSECURITY=/nonexistent/libmodsecurity.so.3 cannot be loaded; unset it to use Debian's, installed with: apt-get install libmodsecurity3 modsecurity-crs";

        var (checkCode, _, checkErrors) = await PorticoProcess.RunWithAsync(missing, "check", "-c", path);
        var (runCode, _, runErrors) = await PorticoProcess.RunWithAsync(missing, "run", "-c", path);

        Assert.Equal(1, checkCode);
        Assert.Equal($"{path}:5: routes.shop.waf: {reason}\n{path}: 1 error(s)\n", checkErrors);
        Assert.Equal(1, runCode);
        Assert.Contains($"{path}:5: routes.shop.waf: {reason}", runErrors);
    }
}
