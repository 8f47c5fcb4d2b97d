using System.Buffers;
using System.Text.RegularExpressions;
using Portico.BodyRewrite;
using Portico.Configuration.Model;

namespace Portico.Tests.BodyRewrite;

/// <summary>
/// The streaming substitutions: fed in pieces of any size, the rewriter gives exactly what the
/// same rules give on the whole text, while holding back fewer characters than its window.
/// </summary>
public sealed class TextRewriterTests
{
    private static readonly string Text = string.Concat(Enumerable.Range(0, 40).Select(i =>
        $"<a href=\"http://app.internal/p{i}\">é€😀 http://api.internal:80{i % 10}/x</a> http://app.interna\n"));

    private static BodyRewriteSettings Settings(int maxMatchLength, params BodyRewriteRule[] rules) => new() { Rules = rules, MaxMatchLength = maxMatchLength };

    private static BodyRewriteRule Literal(string find, string replace) => new() { Find = find, Replace = replace };

    private static BodyRewriteRule Pattern(string regex, string replace) => new() { Regex = new Regex(regex, RegexOptions.NonBacktracking), Replace = replace };

    private static (string Output, TextRewriter Rewriter) Run(BodyRewriteSettings settings, string text, int piece)
    {
        var rewriter = new TextRewriter(settings, piece);
        var output = new ArrayBufferWriter<char>();
        for (var i = 0; i < text.Length; i += piece)
        {
            rewriter.Push(text.AsSpan(i, Math.Min(piece, text.Length - i)), false, output);
        }

        rewriter.Push([], true, output);
        return (output.WrittenSpan.ToString(), rewriter);
    }

    public static TheoryData<int> Pieces => new(1, 2, 3, 7, 13, 18, 19, 20, 64, 1000, 100_000);

    [Theory]
    [MemberData(nameof(Pieces))]
    public void A_literal_is_replaced_wherever_the_pieces_split_it(int piece)
    {
        var settings = Settings(1024, Literal("http://app.internal", "https://www.example.com"));
        var (output, rewriter) = Run(settings, Text, piece);

        Assert.Equal(Text.Replace("http://app.internal", "https://www.example.com", StringComparison.Ordinal), output);
        Assert.Equal(40, rewriter.Substitutions);
        Assert.InRange(rewriter.LargestHeld, 0, "http://app.internal".Length - 1);
    }

    [Theory]
    [MemberData(nameof(Pieces))]
    public void A_regex_with_captures_is_replaced_wherever_the_pieces_split_it(int piece)
    {
        const string pattern = @"http://([a-z]+)\.internal(?<port>:\d+)?";
        const string replacement = "https://$1.example.com${port}";
        var settings = Settings(40, Pattern(pattern, replacement));
        var (output, rewriter) = Run(settings, Text, piece);

        Assert.Equal(Regex.Replace(Text, pattern, replacement), output);
        Assert.Equal(80, rewriter.Substitutions);
        Assert.InRange(rewriter.LargestHeld, 0, 39);
    }

    [Theory]
    [MemberData(nameof(Pieces))]
    public void Several_rules_take_the_earliest_match_and_ties_go_to_the_first_listed(int piece)
    {
        var settings = Settings(32, Literal("http://app", "A"), Pattern(@"http://[a-z]+\.internal", "B"), Literal("internal", "C"), Literal("😀", ":)"));
        var (output, _) = Run(settings, Text, piece);
        var (whole, _) = Run(settings, Text, Text.Length);

        Assert.Equal(whole, output);
        Assert.StartsWith("<a href=\"A.C/p0\">é€:) B:800/x</a> A.interna\n", whole, StringComparison.Ordinal);
    }

    [Fact]
    public void Replaced_text_is_not_searched_again()
    {
        var (output, rewriter) = Run(Settings(8, Literal("ab", "abab")), "abab", 1);

        Assert.Equal("abababab", output);
        Assert.Equal(2, rewriter.Substitutions);
    }
}
