using System.Net;
using Microsoft.AspNetCore.WebUtilities;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>
/// OIDC login end to end against a real OpenID provider (OpenIddict) on 127.0.0.1, driven hop by
/// hop by a client that keeps cookies: the login redirect, the provider's form, the callback, the
/// session cookie, refresh, logout and restarts. Refused requests never reach the backend.
/// </summary>
public sealed class OidcTests : IDisposable
{
    private readonly DirectoryInfo _keys = Directory.CreateTempSubdirectory("portico-oidc-keys-");

    private string Config(OpenIdProvider provider, TestBackend backend, string extra = "") => Config(_keys, provider, backend, extra);

    /// <summary>Route `app` (/app) behind the provider's login, `open` (everything else) without; <paramref name="extra"/> adds to the `oidc` section.</summary>
    internal static string Config(DirectoryInfo keys, OpenIdProvider provider, TestBackend backend, string extra = "") => $$"""
        auth:
          dataProtection: { keysDir: "{{keys.FullName}}" }
        routes:
          app:
            match: { pathPrefix: /app }
            cluster: app
            auth:
              oidc: { authority: "{{provider.Url}}", clientId: {{OpenIdProvider.ClientId}}, clientSecret: {{OpenIdProvider.ClientSecret}}, scopes: [openid, profile, email, offline_access]{{extra}} }
              identityHeaders: { claims: { X-Auth-Email: email } }
          open: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{backend.Url}}] }
        """;

    private static string Logs(TestProxy proxy) => string.Join("\n", proxy.Logs.Lines.Select(l => $"{l.EventId} {l.Message} {l.Exception}"));

    private static int AppRequests(TestBackend backend) => backend.Requests.Count(r => r.PathAndQuery.StartsWith("/app", StringComparison.Ordinal));

    [Fact]
    public async Task A_browser_logs_in_with_PKCE_state_and_nonce_and_reaches_the_backend_as_itself()
    {
        await using var provider = await OpenIdProvider.StartAsync(TimeSpan.FromHours(1));
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync(Config(provider, backend));
        using var browser = new OidcBrowser();
        var start = new Uri(proxy.Address, "/app/orders?page=2");

        var toProvider = await browser.GetAsync(start);
        Assert.True(toProvider.StatusCode == HttpStatusCode.Found, Logs(proxy));
        Assert.Equal("no-store", toProvider.Headers.CacheControl!.ToString());
        var query = QueryHelpers.ParseQuery(toProvider.Headers.Location!.Query);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal(OpenIdProvider.ClientId, query["client_id"]);
        Assert.Equal($"{proxy.Address.GetLeftPart(UriPartial.Authority)}/_portico/oidc/callback", query["redirect_uri"]);
        Assert.Equal("openid profile email offline_access", query["scope"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(43, query["code_challenge"].ToString().Length);
        Assert.True(query["state"].ToString().Length > 40);
        Assert.Equal(43, query["nonce"].ToString().Length);
        var correlation = Assert.Single(OidcBrowser.SetCookies(toProvider));
        Assert.Matches("^portico_oidc\\.c\\.[A-Za-z0-9_-]{22}=1; expires=.*; path=/_portico/oidc/callback; samesite=lax; httponly$", correlation);

        var parameters = QueryHelpers.ParseQuery(toProvider.Headers.Location!.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
        var callback = await browser.PostLoginAsync(provider, parameters, "alice");
        Assert.Equal("/_portico/oidc/callback", callback.AbsolutePath);
        var back = await browser.GetAsync(callback);
        Assert.True(back.StatusCode == HttpStatusCode.Found, Logs(proxy));
        Assert.Equal("/app/orders?page=2", back.Headers.Location!.ToString());
        var cookies = OidcBrowser.SetCookies(back);
        Assert.Contains(cookies, c => c.StartsWith("portico_oidc.c.", StringComparison.Ordinal) && c.Contains("expires=Thu, 01 Jan 1970", StringComparison.Ordinal));
        var session = Assert.Single(cookies, c => c.StartsWith("portico_oidc=", StringComparison.Ordinal));
        Assert.Matches("; expires=[^;]+; path=/; samesite=lax; httponly$", session);
        Assert.DoesNotContain("secure", session, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, AppRequests(backend));

        browser.Cookies.Add(proxy.Address, new System.Net.Cookie("theme", "dark"));
        var page = await browser.GetAsync(start, headers: [new("X-Auth-User", "mallory")]);
        var api = await browser.GetAsync(new Uri(proxy.Address, "/app/api/items"), accept: "application/json");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        var seen = backend.Requests.Where(r => r.PathAndQuery.StartsWith("/app", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["/app/orders?page=2", "/app/api/items"], seen.Select(r => r.PathAndQuery));
        Assert.All(seen, r => Assert.Equal("alice", r.Headers["X-Auth-User"]));
        Assert.All(seen, r => Assert.Equal("oidc", r.Headers["X-Auth-Scheme"]));
        Assert.All(seen, r => Assert.Equal("alice@example.test", r.Headers["X-Auth-Email"]));
        Assert.All(seen, r => Assert.Equal("theme=dark", r.Headers["Cookie"]));
        Assert.Equal(["authorization_code"], provider.Grants);
    }

    [Fact]
    public async Task Without_a_session_an_API_request_gets_401_and_a_browser_navigation_a_redirect()
    {
        await using var provider = await OpenIdProvider.StartAsync(TimeSpan.FromHours(1));
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync(Config(provider, backend));
        using var browser = new OidcBrowser();
        var url = new Uri(proxy.Address, "/app/x");

        var json = await browser.GetAsync(url, accept: "application/json");
        var any = await browser.GetAsync(url, accept: "*/*");
        using var post = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("{}") };
        post.Headers.Accept.ParseAdd("text/html");
        var posted = await browser.SendAsync(post);
        var navigation = await browser.GetAsync(url, accept: "*/*", headers: [new("Sec-Fetch-Mode", "navigate")]);
        var html = await browser.GetAsync(url);

        Assert.Equal(HttpStatusCode.Unauthorized, json.StatusCode);
        Assert.Equal("Cookie realm=\"app\", cookie-name=\"portico_oidc\"", json.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, any.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, posted.StatusCode);
        Assert.Equal(HttpStatusCode.Found, navigation.StatusCode);
        Assert.Equal(HttpStatusCode.Found, html.StatusCode);
        Assert.StartsWith(provider.Url + "/connect/authorize?", html.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, AppRequests(backend));

        // The auth meter: the redirects are the oidc scheme's answer, the 401s the route's; the admin API shows the route's oidc without its secret.
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        var metrics = await admin.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        var routes = await admin.GetStringAsync("/api/routes", TestContext.Current.CancellationToken);
        Assert.Contains("portico_auth_requests_total{otel_scope_name=\"Portico.Auth\",outcome=\"refused\",reason=\"missing\",route=\"app\",scheme=\"oidc\"} 2", metrics);
        Assert.Contains("portico_auth_requests_total{otel_scope_name=\"Portico.Auth\",outcome=\"refused\",reason=\"missing\",route=\"app\",scheme=\"none\"} 3", metrics);
        using var view = System.Text.Json.JsonDocument.Parse(routes);
        var oidc = view.RootElement.GetProperty("app").GetProperty("auth").GetProperty("oidc");
        Assert.Equal(OpenIdProvider.ClientId, oidc.GetProperty("clientId").GetString());
        Assert.Equal("/_portico/oidc/callback", oidc.GetProperty("callbackPath").GetString());
        Assert.DoesNotContain(OpenIdProvider.ClientSecret, routes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tampered_session_cookie_is_refused_and_the_browser_sent_to_log_in_again()
    {
        await using var scene = await OidcScene.LoggedInAsync(_keys);
        var (provider, backend, proxy, browser, url) = (scene.Provider, scene.Backend, scene.Proxy, scene.Browser, scene.Url);
        var session = browser.Session(proxy.Address);
        var tampered = session.Select(c => c.Name == "portico_oidcC1" ? new System.Net.Cookie(c.Name, c.Value[..40] + (c.Value[40] == 'A' ? 'B' : 'A') + c.Value[41..]) : c).ToArray();
        Assert.Contains(session, c => c.Name == "portico_oidcC1");

        using var tamperedApi = new OidcBrowser();
        tamperedApi.Use(proxy.Address, tampered);
        var api = await tamperedApi.GetAsync(url, accept: "application/json");
        using var tamperedBrowser = new OidcBrowser();
        tamperedBrowser.Use(proxy.Address, tampered);
        var page = await tamperedBrowser.GetAsync(url);
        using var forged = new OidcBrowser();
        forged.Cookies.Add(proxy.Address, new System.Net.Cookie("portico_oidc", "eyJzdWIiOiJhZG1pbiJ9"));
        var forgedPage = await forged.GetAsync(url, accept: "application/json");

        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal(HttpStatusCode.Found, page.StatusCode);
        Assert.StartsWith(provider.Url + "/connect/authorize?", page.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Contains(OidcBrowser.SetCookies(page), c => c.StartsWith("portico_oidc=;", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, forgedPage.StatusCode);
        Assert.Equal(0, AppRequests(backend));
        Assert.NotEmpty(proxy.Logs.Messages(3353));
    }

    [Fact]
    public async Task A_callback_with_a_wrong_state_or_from_another_browser_is_refused()
    {
        await using var provider = await OpenIdProvider.StartAsync(TimeSpan.FromHours(1));
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync(Config(provider, backend));
        using var browser = new OidcBrowser();
        var toProvider = await browser.GetAsync(new Uri(proxy.Address, "/app/x"));
        var parameters = QueryHelpers.ParseQuery(toProvider.Headers.Location!.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
        var callback = await browser.PostLoginAsync(provider, parameters, "alice");
        var callbackQuery = QueryHelpers.ParseQuery(callback.Query);
        var state = callbackQuery["state"].ToString();
        Uri With(string newState) => new(QueryHelpers.AddQueryString(new Uri(proxy.Address, "/_portico/oidc/callback").ToString(), new Dictionary<string, string?> { ["code"] = callbackQuery["code"], ["state"] = newState }));

        var wrong = await browser.GetAsync(With(state[..20] + (state[20] == 'A' ? 'B' : 'A') + state[21..]));
        var none = await browser.GetAsync(With(""));
        using var other = new OidcBrowser();
        var elsewhere = await other.GetAsync(callback);
        var afterwards = await browser.GetAsync(new Uri(proxy.Address, "/app/x"), accept: "application/json");

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        // A new connection: the fast path must hand the callback to the auth stage, not forward it on the open route.
        Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
        Assert.DoesNotContain(OidcBrowser.SetCookies(elsewhere), c => c.StartsWith("portico_oidc=", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, afterwards.StatusCode);
        Assert.Empty(provider.Grants);
        Assert.Equal(0, AppRequests(backend));
        Assert.Equal(3, proxy.Logs.Messages(3352).Count());
    }

    [Fact]
    public async Task A_restarted_Portico_with_the_same_key_directory_keeps_the_session_and_another_directory_does_not()
    {
        await using var provider = await OpenIdProvider.StartAsync(TimeSpan.FromHours(1));
        await using var backend = await TestBackend.StartAsync("app");
        using var browser = new OidcBrowser();
        var proxy = await TestProxy.StartAsync(Config(provider, backend));
        await browser.LoginAsync(new Uri(proxy.Address, "/app/x"), provider);
        var session = browser.Session(proxy.Address);
        await proxy.DisposeAsync();
        Assert.NotEmpty(_keys.GetFiles("key-*.xml"));

        await using var restarted = await TestProxy.StartAsync(Config(provider, backend));
        using var again = new OidcBrowser();
        again.Use(restarted.Address, session);
        var kept = await again.GetAsync(new Uri(restarted.Address, "/app/after-restart"), accept: "application/json");
        var otherKeys = Directory.CreateTempSubdirectory("portico-oidc-keys-");
        await using var stranger = await TestProxy.StartAsync(Config(provider, backend).Replace(_keys.FullName, otherKeys.FullName, StringComparison.Ordinal));
        using var third = new OidcBrowser();
        third.Use(stranger.Address, session);
        var refused = await third.GetAsync(new Uri(stranger.Address, "/app/other-keys"), accept: "application/json");
        otherKeys.Delete(recursive: true);

        Assert.True(kept.StatusCode == HttpStatusCode.OK, Logs(restarted));
        Assert.Equal("alice", backend.Requests.Single(r => r.PathAndQuery == "/app/after-restart").Headers["X-Auth-User"]);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.DoesNotContain(backend.Requests, r => r.PathAndQuery == "/app/other-keys");
    }

    [Fact]
    public async Task Tokens_are_refreshed_within_refreshBefore_of_expiry_and_a_failed_refresh_ends_the_session()
    {
        // Access tokens live 2 min and are refreshed in their last 1m57s: the first requests after
        // a login or a refresh do not refresh, the ones from 3 s on do.
        await using var provider = await OpenIdProvider.StartAsync(TimeSpan.FromMinutes(2));
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync(Config(provider, backend, ", refreshBefore: 117s"));
        using var browser = new OidcBrowser();
        var url = new Uri(proxy.Address, "/app/x");
        await browser.LoginAsync(url, provider);
        var first = string.Concat(browser.Session(proxy.Address).Select(c => c.Value));

        var early = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, early.StatusCode);
        Assert.Empty(OidcBrowser.SetCookies(early));
        Assert.Equal(["authorization_code"], provider.Grants);

        HttpResponseMessage? refreshed = null;
        await Poll.UntilAsync(async () =>
        {
            refreshed = await browser.GetAsync(url);
            return provider.Grants.Contains("refresh_token");
        }, "a request to refresh the tokens", seconds: 20);
        Assert.Equal(HttpStatusCode.OK, refreshed!.StatusCode);
        Assert.Contains(OidcBrowser.SetCookies(refreshed), c => c.StartsWith("portico_oidc=", StringComparison.Ordinal));
        Assert.NotEqual(first, string.Concat(browser.Session(proxy.Address).Select(c => c.Value)));
        Assert.Equal(["authorization_code", "refresh_token"], provider.Grants);
        Assert.Equal("alice", backend.Requests.Last().Headers["X-Auth-User"]);

        provider.RefuseRefresh = true;
        HttpResponseMessage? ended = null;
        var reached = 0;
        await Poll.UntilAsync(async () =>
        {
            var before = AppRequests(backend);
            ended = await browser.GetAsync(url);
            reached = AppRequests(backend) - before;
            return ended.StatusCode != HttpStatusCode.OK;
        }, "the refused refresh to end the session", seconds: 20);
        Assert.Equal(HttpStatusCode.Found, ended!.StatusCode);
        Assert.StartsWith(provider.Url + "/connect/authorize?", ended.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Contains(OidcBrowser.SetCookies(ended), c => c.StartsWith("portico_oidc=;", StringComparison.Ordinal));
        Assert.Equal(3, provider.Grants.Count);
        Assert.Equal(0, reached);
        Assert.NotEmpty(proxy.Logs.Messages(3355));
    }

    [Fact]
    public async Task Logout_ends_the_session_at_the_provider_with_the_id_token_hint_or_only_locally()
    {
        await using var provider = await OpenIdProvider.StartAsync(TimeSpan.FromHours(1));
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync(Config(provider, backend, ", postLogoutRedirect: /app/bye"));
        using var browser = new OidcBrowser();
        var url = new Uri(proxy.Address, "/app/x");
        await browser.LoginAsync(url, provider);

        var logout = await browser.GetAsync(new Uri(proxy.Address, "/_portico/oidc/logout"));
        Assert.Equal(HttpStatusCode.Found, logout.StatusCode);
        Assert.Contains(OidcBrowser.SetCookies(logout), c => c.StartsWith("portico_oidc=;", StringComparison.Ordinal));
        Assert.StartsWith(provider.Url + "/connect/endsession?", logout.Headers.Location!.ToString(), StringComparison.Ordinal);
        var atProvider = await browser.GetAsync(logout.Headers.Location!);
        Assert.Equal(HttpStatusCode.Found, atProvider.StatusCode);
        Assert.Equal($"{proxy.Address.GetLeftPart(UriPartial.Authority)}/app/bye", atProvider.Headers.Location!.ToString());
        var end = Assert.Single(provider.EndSessions);
        Assert.Equal($"{proxy.Address.GetLeftPart(UriPartial.Authority)}/app/bye", end["post_logout_redirect_uri"]);
        Assert.Equal(3, end["id_token_hint"].ToString().Split('.').Length);
        var after = await browser.GetAsync(url, accept: "application/json");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);

        await proxy.RewriteConfigAsync(Config(provider, backend, ", postLogoutRedirect: /app/bye, providerLogout: false"));
        await browser.LoginAsync(url, provider);
        var local = await browser.GetAsync(new Uri(proxy.Address, "/_portico/oidc/logout"));
        Assert.Equal(HttpStatusCode.Found, local.StatusCode);
        Assert.Equal($"{proxy.Address.GetLeftPart(UriPartial.Authority)}/app/bye", local.Headers.Location!.ToString());
        Assert.Contains(OidcBrowser.SetCookies(local), c => c.StartsWith("portico_oidc=;", StringComparison.Ordinal));
        Assert.Single(provider.EndSessions);
        var afterLocal = await browser.GetAsync(url, accept: "application/json");
        Assert.Equal(HttpStatusCode.Unauthorized, afterLocal.StatusCode);
    }

    [Fact]
    public async Task A_session_larger_than_a_cookie_is_split_into_chunks_and_read_back_whole()
    {
        await using var scene = await OidcScene.LoggedInAsync(_keys, provider => provider.PaddingClaimLength = 2500);
        var (backend, proxy, browser, url) = (scene.Backend, scene.Proxy, scene.Browser, scene.Url);
        var cookies = browser.Cookies.GetCookies(proxy.Address);

        var page = await browser.GetAsync(url);

        Assert.StartsWith("chunks-", cookies["portico_oidc"]!.Value, StringComparison.Ordinal);
        Assert.NotNull(cookies["portico_oidcC1"]);
        Assert.All(cookies.Where(c => c.Name.StartsWith("portico_oidc", StringComparison.Ordinal)), c => Assert.True(c.Value.Length <= 4050));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("alice", backend.Requests.Last().Headers["X-Auth-User"]);
        Assert.DoesNotContain("portico_oidc", backend.Requests.Last().Headers.GetValueOrDefault("Cookie") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reload_that_names_the_user_by_a_claim_the_session_lacks_ends_the_session_instead_of_failing()
    {
        await using var scene = await OidcScene.LoggedInAsync(_keys);
        var (provider, backend, proxy, browser, url) = (scene.Provider, scene.Backend, scene.Proxy, scene.Browser, scene.Url);
        var reached = AppRequests(backend);

        Assert.True((await proxy.RewriteConfigAsync(Config(provider, backend, ", userClaim: preferred_username"))).Applied);
        var after = await browser.GetAsync(url, accept: "application/json");

        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(reached, AppRequests(backend));
        Assert.Contains(proxy.Logs.Messages(3353), m => m.EndsWith("its ID token has no 'preferred_username' claim", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_a_TLS_listener_the_login_and_session_cookies_are_Secure()
    {
        using var pki = TestPki.Create();
        var (cert, key) = pki.WritePem(pki.Issue("127.0.0.1", ["localhost"]), "proxy");
        await using var provider = await OpenIdProvider.StartAsync(TimeSpan.FromHours(1));
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync($$"""
            listeners:
              secure: { address: "127.0.0.1:0", tls: { certificates: [{ cert: {{cert}}, key: {{key}} }] } }
            {{Config(provider, backend)}}
            """);
        using var browser = new OidcBrowser(anyCertificate: true);
        var url = new Uri(proxy.Address, "/app/x");
        Assert.Equal("https", url.Scheme);

        var toProvider = await browser.GetAsync(url);
        Assert.EndsWith("; secure; samesite=lax; httponly", Assert.Single(OidcBrowser.SetCookies(toProvider)), StringComparison.Ordinal);
        var parameters = QueryHelpers.ParseQuery(toProvider.Headers.Location!.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
        Assert.StartsWith("https://127.0.0.1:", parameters["redirect_uri"], StringComparison.Ordinal);
        var back = await browser.GetAsync(await browser.PostLoginAsync(provider, parameters, "alice"));
        var page = await browser.GetAsync(url);

        Assert.All(OidcBrowser.SetCookies(back).Where(c => c.StartsWith("portico_oidc", StringComparison.Ordinal)),
            c => Assert.Contains("; secure; samesite=lax; httponly", c, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("alice", backend.Requests.Single().Headers["X-Auth-User"]);
    }

    public void Dispose() => _keys.Delete(recursive: true);
}
