using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.WebUtilities;

namespace Portico.IntegrationTests.Auth;

/// <summary>
/// A browser's part in an OIDC login, one hop at a time: an HttpClient that keeps cookies and
/// never follows redirects on its own, so each test sees every Location and Set-Cookie.
/// </summary>
public sealed class OidcBrowser : IDisposable
{
    private readonly HttpClient _http;

    /// <param name="anyCertificate">Accept Portico's test certificate on a TLS listener.</param>
    public OidcBrowser(bool anyCertificate = false)
    {
        var handler = new SocketsHttpHandler { CookieContainer = Cookies, UseCookies = true, AllowAutoRedirect = false, UseProxy = false };
        if (anyCertificate)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }

        _http = new HttpClient(handler);
    }

    public CookieContainer Cookies { get; } = new();

    /// <summary>A navigation: GET accepting HTML.</summary>
    public Task<HttpResponseMessage> GetAsync(Uri url, string accept = "text/html,application/xhtml+xml", IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd(accept);
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _http.SendAsync(request, TestContext.Current.CancellationToken);

    /// <summary>
    /// Logs <paramref name="user"/> in from <paramref name="start"/>: the redirect to the provider,
    /// the login form posted back, the provider's redirect to the callback, and the callback's
    /// redirect back to <paramref name="start"/>. Returns the authorization request's parameters.
    /// </summary>
    public async Task<Dictionary<string, string>> LoginAsync(Uri start, OpenIdProvider provider, string user = "alice")
    {
        var toProvider = await GetAsync(start);
        Assert.Equal(HttpStatusCode.Found, toProvider.StatusCode);
        var authorize = toProvider.Headers.Location!;
        Assert.StartsWith(provider.Url + "/connect/authorize?", authorize.ToString(), StringComparison.Ordinal);
        var parameters = QueryHelpers.ParseQuery(authorize.Query).ToDictionary(p => p.Key, p => p.Value.ToString());

        var form = await GetAsync(authorize);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var callback = await PostLoginAsync(provider, parameters, user);

        var back = await GetAsync(callback);
        Assert.Equal(HttpStatusCode.Found, back.StatusCode);
        Assert.Equal(start.PathAndQuery, back.Headers.Location!.ToString());
        return parameters;
    }

    /// <summary>Posts the provider's login form; returns the callback URL the provider redirects to.</summary>
    public async Task<Uri> PostLoginAsync(OpenIdProvider provider, Dictionary<string, string> parameters, string user)
    {
        var login = await _http.PostAsync(new Uri(provider.Address, "/connect/authorize"), new FormUrlEncodedContent(parameters.Append(new("username", user))), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        return login.Headers.Location!;
    }

    /// <summary>The session cookie and its chunks (NAME holds `chunks-N` when the session is split into NAMEC1 … NAMECN).</summary>
    public System.Net.Cookie[] Session(Uri site)
        => Cookies.GetCookies(site).Where(c => c.Name == "portico_oidc" || c.Name.StartsWith("portico_oidcC", StringComparison.Ordinal)).ToArray();

    /// <summary>Gives this browser the session cookies <paramref name="session"/> (copied, perhaps edited), for <paramref name="site"/>.</summary>
    public void Use(Uri site, IEnumerable<System.Net.Cookie> session)
    {
        foreach (var cookie in session)
        {
            Cookies.Add(site, new System.Net.Cookie(cookie.Name, cookie.Value));
        }
    }

    /// <summary>The Set-Cookie lines of <paramref name="response"/>.</summary>
    public static string[] SetCookies(HttpResponseMessage response)
        => response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToArray() : [];

    public static MediaTypeWithQualityHeaderValue Json { get; } = new("application/json");

    public void Dispose() => _http.Dispose();
}
