namespace Portico.Headers;

/// <summary>One rule of a `headers` section: a field, what to do to it, and for set and append the value.</summary>
internal sealed record HeaderRule(HeaderAction Action, string Name, ValueTemplate? Value);
