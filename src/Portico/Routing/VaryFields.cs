using Microsoft.Extensions.Primitives;

namespace Portico.Routing;

/// <summary>A response's `Vary` list (RFC 9110 §12.5.5) as field names, compared case-insensitively, kept in order.</summary>
internal static class VaryFields
{
    public static List<string> Of(StringValues vary)
    {
        var fields = new List<string>();
        foreach (var value in vary)
        {
            foreach (var field in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!fields.Contains(field, StringComparer.OrdinalIgnoreCase))
                {
                    fields.Add(field);
                }
            }
        }

        return fields;
    }

    /// <summary>The fields of <paramref name="fields"/> then those of <paramref name="added"/> it lacks, as one `Vary` value; `*` alone stays `*`.</summary>
    public static StringValues Join(List<string> fields, IEnumerable<string> added)
    {
        if (fields.Contains("*"))
        {
            return "*";
        }

        foreach (var field in added)
        {
            if (!fields.Contains(field, StringComparer.OrdinalIgnoreCase))
            {
                fields.Add(field);
            }
        }

        return string.Join(", ", fields);
    }
}
