namespace Portico.Headers;

/// <summary>One piece of a <see cref="ValueTemplate"/>: literal text, or a variable with its parameter name or group.</summary>
internal readonly record struct TemplatePart(TemplateVariable Variable, string Text = "", int Group = -1);
