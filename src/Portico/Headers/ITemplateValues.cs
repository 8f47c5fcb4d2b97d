namespace Portico.Headers;

/// <summary>
/// Where a <see cref="ValueTemplate"/> reads its variables from: the full pipeline's HttpContext,
/// or the fast path's request head, so both render the same template by the same rule.
/// </summary>
internal interface ITemplateValues
{
    /// <summary>What the variable <paramref name="part"/> stands for in this request, as text not yet made visible ASCII.</summary>
    string Value(TemplatePart part);
}
