using Microsoft.AspNetCore.Http;

namespace Portico.Auth;

/// <summary>
/// What one scheme made of a request: no credentials of its kind, an identity, credentials it
/// refused, or (forward auth) an answer of its own for the client with the reason it stands for.
/// </summary>
internal readonly record struct AuthAttempt(AuthIdentity? Identity, bool Failed, Func<HttpContext, Task>? Answer = null, AuthReason AnswerReason = AuthReason.Denied)
{
    public static readonly AuthAttempt None = new(null, false);

    public static readonly AuthAttempt Refused = new(null, true);

    public static AuthAttempt Success(AuthIdentity identity) => new(identity, false);

    public static AuthAttempt Answered(AuthReason reason, Func<HttpContext, Task> answer) => new(null, false, answer, reason);
}
