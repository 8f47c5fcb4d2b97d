namespace Portico.Observability;

/// <summary>The label each <see cref="HandOverReason"/> has in metrics and the admin API.</summary>
internal static class HandOverReasonNames
{
    public static string Of(HandOverReason reason) => reason switch
    {
        HandOverReason.Tracing => "tracing",
        HandOverReason.ServedHosts => "served_hosts",
        HandOverReason.UndeclaredSetting => "undeclared_setting",
        HandOverReason.TlsListener => "tls_listener",
        HandOverReason.HttpsRedirect => "https_redirect",
        HandOverReason.ListenerIpRules => "listener_ip_rules",
        HandOverReason.ListenerProtocols => "listener_protocols",
        HandOverReason.PartialHead => "partial_head",
        HandOverReason.Invalid => "invalid",
        HandOverReason.Http10 => "http_1_0",
        HandOverReason.Method => "method",
        HandOverReason.Target => "target",
        HandOverReason.BodyOrUpgrade => "body_or_upgrade",
        HandOverReason.ConnectionOptions => "connection_options",
        HandOverReason.Headers => "headers",
        HandOverReason.Other => "other",
        HandOverReason.Limits => "limits",
        HandOverReason.Acme => "acme",
        HandOverReason.Match => "match",
        HandOverReason.SeveralRoutes => "several_routes",
        HandOverReason.NoRoute => "no_route",
        HandOverReason.RouteGuard => "route_guard",
        HandOverReason.Device => "device",
        HandOverReason.Split => "split",
        HandOverReason.RateLimit => "rate_limit",
        HandOverReason.Waf => "waf",
        HandOverReason.Auth => "auth",
        HandOverReason.Compression => "compression",
        HandOverReason.HeaderRules => "header_rules",
        HandOverReason.Cors => "cors",
        HandOverReason.HostRewrite => "host_rewrite",
        HandOverReason.Cluster => "cluster",
        HandOverReason.LoadBalancing => "load_balancing",
        HandOverReason.Retries => "retries",
        HandOverReason.Destination => "destination",
        HandOverReason.Cache => "cache",
        HandOverReason.IdentityHeaders => "identity_headers",
        HandOverReason.Backend => "backend",
        _ => "other",
    };
}
