using System.Buffers;
using System.Text.RegularExpressions;
using Portico.Configuration.Model;

namespace Portico.BodyRewrite;

/// <summary>
/// The substitutions of one response, fed its text in pieces. Bounded memory: between pieces it
/// keeps only the tail that could still begin a match, fewer characters than the longest match
/// any rule can make (<see cref="BodyRewriteSettings.Window"/>); everything before is decided
/// and handed on. A match is taken only once the text seen reaches a full window past its
/// start, so a match that straddles two pieces is found as if the body were whole.
/// </summary>
internal sealed class TextRewriter
{
    private const int Unknown = -2;
    private const int None = -1;

    private readonly IReadOnlyList<BodyRewriteRule> _rules;
    private readonly bool _anyRegex;
    private readonly int _window;
    private readonly int[] _at;
    private readonly int[] _length;
    private readonly Match?[] _match;
    private readonly char[] _text;
    private int _held;

    /// <param name="piece">The most characters one <see cref="Push"/> brings.</param>
    public TextRewriter(BodyRewriteSettings settings, int piece)
    {
        _rules = settings.Rules;
        _anyRegex = _rules.Any(r => r.Regex is not null);
        _window = settings.Window;
        _at = new int[_rules.Count];
        _length = new int[_rules.Count];
        _match = new Match?[_rules.Count];
        _text = new char[_window - 1 + piece];
    }

    /// <summary>Substitutions made so far.</summary>
    public long Substitutions { get; private set; }

    /// <summary>The most characters kept back between two pieces so far: at most the window less one.</summary>
    public int LargestHeld { get; private set; }

    /// <summary>Adds <paramref name="piece"/> and writes to <paramref name="output"/> all text that can be decided; <paramref name="final"/>: the body ends here.</summary>
    public void Push(ReadOnlySpan<char> piece, bool final, IBufferWriter<char> output)
    {
        piece.CopyTo(_text.AsSpan(_held));
        var length = _held + piece.Length;

        // The regex engine reads strings; literal rules search the buffer itself.
        var text = _anyRegex ? new string(_text, 0, length) : null;
        Array.Fill(_at, Unknown);

        // The last place a match may start and be known whole: with a window of text after it.
        var lastStart = final ? length : length - _window;
        var pos = 0;
        while (Earliest(text, length, pos) is var best && best >= 0 && _at[best] <= lastStart)
        {
            output.Write(_text.AsSpan(pos, _at[best] - pos));
            var rule = _rules[best];
            output.Write(rule.Regex is null ? rule.Replace : _match[best]!.Result(rule.Replace));
            pos = _at[best] + _length[best];
            Substitutions++;
        }

        // Text before `keep` cannot begin a match any more (none starts there, or it was replaced).
        var keep = final ? length : Math.Max(pos, length - (_window - 1));
        output.Write(_text.AsSpan(pos, keep - pos));
        _held = length - keep;
        _text.AsSpan(keep, _held).CopyTo(_text);
        LargestHeld = Math.Max(LargestHeld, _held);
    }

    /// <summary>The rule whose next match at or after <paramref name="pos"/> starts first (ties: the rule listed first), or -1.</summary>
    private int Earliest(string? text, int length, int pos)
    {
        var best = -1;
        for (var i = 0; i < _rules.Count; i++)
        {
            if (_at[i] == Unknown || (_at[i] >= 0 && _at[i] < pos))
            {
                Find(i, text, length, pos);
            }

            if (_at[i] >= 0 && (best < 0 || _at[i] < _at[best]))
            {
                best = i;
            }
        }

        return best;
    }

    private void Find(int i, string? text, int length, int pos)
    {
        var rule = _rules[i];
        if (rule.Regex is null)
        {
            var at = _text.AsSpan(pos, length - pos).IndexOf(rule.Find, StringComparison.Ordinal);
            (_at[i], _length[i]) = (at < 0 ? None : pos + at, rule.Find!.Length);
            return;
        }

        // An empty match replaces nothing (the binder refuses rules that match empty text, but a
        // pattern such as \b matches empty only in context): look past it.
        var match = rule.Regex.Match(text!, pos);
        while (match.Success && match.Length == 0)
        {
            match = match.NextMatch();
        }

        (_at[i], _length[i], _match[i]) = match.Success ? (match.Index, match.Length, match) : (None, 0, null);
    }
}
