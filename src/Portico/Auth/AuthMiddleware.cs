using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Observability;
using Yarp.ReverseProxy.Model;

namespace Portico.Auth;

/// <summary>
/// Stage 4: removes client-sent copies of every identity header on every route, then on a route
/// with `auth` tries its schemes in order (the first identity wins), applies its `allow` rules
/// and tells the backend who called. Refused requests are answered here and never forwarded:
/// 401 with one challenge per scheme, 403 when the caller is not allowed, 429 once a client has
/// failed too often.
/// </summary>
internal sealed class AuthMiddleware(RequestDelegate next, ActiveConfig config, AuthLockout lockout, AuthMetrics metrics, AuthLog log)
{
    private const string NoScheme = "none";

    public Task Invoke(HttpContext context)
    {
        if (config.Current.Runtime<AuthRuntime>() is not { } runtime)
        {
            return next(context);
        }

        IdentityHeaders.Strip(context.Request.Headers, runtime.IdentityHeaders);
        if (runtime.OidcEndpoint(context.Request.Path.Value) is { } oidc)
        {
            return OidcEndpointAsync(context, oidc);
        }

        if (context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId is not { } routeId || runtime.Route(routeId) is not { } route)
        {
            return next(context);
        }

        return AuthenticateAsync(context, route);
    }

    /// <summary>An OIDC callback or logout: Portico's own answer, never forwarded; a failed login is recorded as a refusal on its route.</summary>
    private async Task OidcEndpointAsync(HttpContext context, OidcEndpoints oidc)
    {
        if (await oidc.HandleAsync(context) is not var (reason, status))
        {
            return;
        }

        metrics.Refused(oidc.RouteId, AuthSchemeNames.Oidc, reason);
        log.Refused(ClientAddress.Of(context).ToString(), oidc.RouteId, status, AuthReasonNames.Of(reason), AuthSchemeNames.Oidc);
        SetReason(context, reason);
        await ErrorPage.WriteAsync(context, status);
    }

    private async Task AuthenticateAsync(HttpContext context, RouteAuth route)
    {
        var settings = route.Settings;
        var client = ClientAddress.Of(context);
        var clientText = client.ToString();
        if (settings.FailedAttempts is not null && lockout.LockedFor(route.RouteId, clientText) is { } left)
        {
            await RefuseAsync(context, route, NoScheme, AuthReason.LockedOut, left);
            return;
        }

        AuthIdentity? identity = null;
        string? failedScheme = null;
        AuthAttempt? answered = null;
        var answeredBy = NoScheme;
        foreach (var scheme in route.Schemes)
        {
            var attempt = await scheme.AuthenticateAsync(context);
            if (attempt.Identity is not null)
            {
                identity = attempt.Identity;
                break;
            }

            if (attempt.Failed)
            {
                failedScheme ??= scheme.Scheme;
            }

            if (attempt.Answer is not null && answered is null)
            {
                answered = attempt;
                answeredBy = scheme.Scheme;
            }
        }

        if (identity is null && answered is { Answer: { } answer, AnswerReason: var answerReason })
        {
            // Forward auth: the auth service's own answer (a login redirect, its 401 or 403)
            // goes to the client as given, and its outage is our 503, never an open door.
            // OIDC: a browser without a session is sent to the provider to log in.
            await answer(context);
            Record(context, route, answeredBy, answerReason, context.Response.StatusCode);
            return;
        }

        if (identity is null)
        {
            if (failedScheme is not null && settings.FailedAttempts is { } policy
                && await lockout.FailedAsync(policy, route.RouteId, clientText, context.RequestAborted) is { } lockedFor)
            {
                log.LockedOut(clientText, route.RouteId, (long)Math.Ceiling(lockedFor.TotalSeconds));
                await RefuseAsync(context, route, failedScheme, AuthReason.LockedOut, lockedFor);
                return;
            }

            await RefuseAsync(context, route, failedScheme ?? NoScheme, failedScheme is null ? AuthReason.Missing : AuthReason.Invalid, null);
            return;
        }

        if (!AuthRules.Allows(settings.Allow, identity, client, context.Connection.ClientCertificate?.Subject))
        {
            await RefuseAsync(context, route, identity.Scheme, AuthReason.Forbidden, null);
            return;
        }

        metrics.Allowed(route.RouteId, identity.Scheme);
        log.Authenticated(identity.Name, identity.Scheme, route.RouteId);
        context.User = identity.Principal;
        context.Features.Set(identity);
        if (!settings.ForwardCredentials)
        {
            foreach (var scheme in route.Schemes)
            {
                scheme.RemoveCredentials(context.Request);
            }
        }

        IdentityHeaders.Write(context.Request.Headers, settings.IdentityHeaders, identity);
        await next(context);
    }

    private Task RefuseAsync(HttpContext context, RouteAuth route, string scheme, AuthReason reason, TimeSpan? retryAfter)
    {
        // RFC 9110 §15.5.2: a 401 carries a challenge. A route whose only scheme has none (a
        // client certificate) cannot be answered by retrying, so it is refused as 403.
        var status = reason switch
        {
            AuthReason.LockedOut => StatusCodes.Status429TooManyRequests,
            AuthReason.Forbidden => StatusCodes.Status403Forbidden,
            _ when !route.CanChallenge => StatusCodes.Status403Forbidden,
            _ => StatusCodes.Status401Unauthorized,
        };
        Record(context, route, scheme, reason, status);

        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            if (status == StatusCodes.Status401Unauthorized)
            {
                headers.WWWAuthenticate = route.Challenges(reason == AuthReason.Invalid ? scheme : null);
            }

            if (retryAfter is { } after)
            {
                headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Task.CompletedTask;
        });
        return ErrorPage.WriteAsync(context, status);
    }

    /// <summary>A refusal's metric, log line and access-log reason.</summary>
    private void Record(HttpContext context, RouteAuth route, string scheme, AuthReason reason, int status)
    {
        metrics.Refused(route.RouteId, scheme, reason);
        log.Refused(ClientAddress.Of(context).ToString(), route.RouteId, status, AuthReasonNames.Of(reason), string.Join(",", route.Settings.Schemes()));
        SetReason(context, reason);
    }

    /// <summary>The access log's reason for a refusal.</summary>
    private static void SetReason(HttpContext context, AuthReason reason)
    {
        if (context.Features.Get<RequestExchange>() is { } exchange)
        {
            exchange.Reason = reason switch
            {
                AuthReason.Missing => LocalReason.AuthMissing,
                AuthReason.Invalid => LocalReason.AuthInvalid,
                AuthReason.Forbidden => LocalReason.AuthForbidden,
                AuthReason.Denied => LocalReason.AuthDenied,
                AuthReason.Unavailable => LocalReason.AuthUnavailable,
                _ => LocalReason.AuthLockedOut,
            };
        }
    }
}
