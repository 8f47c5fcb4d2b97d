using System.Collections;
using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Portico.Tests.Configuration.Catalogue;

/// <summary>
/// Where two bound settings differ, property by property. Records compare lists by reference, so
/// their own equality cannot tell two bindings of the same text apart from two different ones.
/// </summary>
internal static class SettingsDiff
{
    public static List<string> Between(object? a, object? b)
    {
        var differences = new List<string>();
        Compare(a, b, "settings", differences);
        return differences;
    }

    private static void Compare(object? a, object? b, string path, List<string> differences)
    {
        if (a is null || b is null)
        {
            if (a is not null || b is not null)
            {
                differences.Add($"{path}: {a ?? "null"} / {b ?? "null"}");
            }

            return;
        }

        // Lists compare by their items: the binder's List and the model's default array hold the same values.
        if (a.GetType() != b.GetType() && !(a is IEnumerable && b is IEnumerable && a is not string))
        {
            differences.Add($"{path}: {a.GetType().Name} / {b.GetType().Name}");
            return;
        }

        switch (a)
        {
            case Regex ra:
                Add(ra.ToString() == b.ToString() && ra.Options == ((Regex)b).Options, a, b, path, differences);
                return;
            // A dictionary's entries compare by key and value, as a record's properties do (below).
            case string or Uri or IPAddress or IPEndPoint or Enum or ValueType when !IsEntry(a):
                Add(a.Equals(b), a, b, path, differences);
                return;
            case IEnumerable ea:
                var la = ea.Cast<object?>().ToList();
                var lb = ((IEnumerable)b).Cast<object?>().ToList();
                if (la.Count != lb.Count)
                {
                    differences.Add($"{path}: {la.Count} items / {lb.Count} items");
                    return;
                }

                for (var i = 0; i < la.Count; i++)
                {
                    Compare(la[i], lb[i], $"{path}[{i}]", differences);
                }

                return;
        }

        foreach (var property in a.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
        {
            Compare(property.GetValue(a), property.GetValue(b), $"{path}.{property.Name}", differences);
        }
    }

    private static bool IsEntry(object value) => value.GetType() is { IsGenericType: true } type && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>);

    private static void Add(bool same, object a, object b, string path, List<string> differences)
    {
        if (!same)
        {
            differences.Add($"{path}: {a} / {b}");
        }
    }
}
