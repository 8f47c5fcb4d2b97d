using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>A request's fields as <see cref="VaryKeys"/> reads them to pick a stored variant.</summary>
internal interface IVaryRequest
{
    /// <summary>Every value of the field <paramref name="name"/>, as sent.</summary>
    StringValues Values(string name);

    /// <summary>The request's <see cref="VaryKeys.AcceptEncodingKey"/>, computed at most once.</summary>
    string AcceptEncoding();
}
