using System.Buffers;
using System.Text;
using Portico.FastPath;
using Portico.Security.Desync;

namespace Portico.Tests.Security;

/// <summary>
/// Fuzzes the HTTP/1 framing check with mutated and random heads (<see cref="HeadFuzzer"/>, fixed
/// seed, bounded count). TCP may split a request anywhere, so each input is fed whole, in two
/// pieces at every byte boundary (as a growing buffer of two segments) and one byte at a time
/// with the server consuming what is released: no exception may escape, the validator never
/// takes back bytes it handed on, and its verdict does not depend on where the bytes were split.
/// The fast path's head parser, which shares <see cref="Http1Head"/>, must never accept a head
/// the validator refuses.
/// </summary>
public sealed class Http1FramingValidatorFuzzTests
{
    private const int Seed = 20;
    private const int Cases = 800;

    // Tight limits (on every other case) reach the request-line, header-count and section-size refusals.
    private static readonly Http1Limits[] LimitSets = [new(8192, 100, 32768, RejectUnderscoreNames: true), new(40, 4, 96, RejectUnderscoreNames: false)];

    private readonly record struct Verdict(int? Status, string? Reason, long Released);

    [Fact]
    public void No_exception_escapes_and_the_verdict_does_not_depend_on_how_the_bytes_were_split()
    {
        var fuzzer = new HeadFuzzer(new Random(Seed));
        var refused = 0;
        for (var i = 0; i < Cases; i++)
        {
            var input = fuzzer.Next();
            var limits = LimitSets[i % LimitSets.Length];
            var whole = Run(i, input, limits, "whole", v => Scan(v, new ReadOnlySequence<byte>(input), handed: 0));
            refused += whole.Status is null ? 0 : 1;
            for (var split = 1; split < input.Length; split++)
            {
                var pieces = TwoSegments(input, split);
                var twoPieces = Run(i, input, limits, $"split at {split}", v =>
                {
                    Scan(v, pieces.Slice(0, split), handed: 0);
                    Scan(v, pieces, handed: 0);
                });
                Assert.True(whole == twoPieces, $"case {i} {Show(input)}: whole {whole}, split at {split} {twoPieces}");
            }

            var trickled = Run(i, input, limits, "byte by byte", v => Trickle(v, input));
            Assert.True(whole.Status == trickled.Status && whole.Reason == trickled.Reason, $"case {i} {Show(input)}: whole {whole}, byte by byte {trickled}");
            FastPathAgrees(i, input, limits);
        }

        // The corpus must reach both outcomes, or the test checks less than it claims.
        Assert.True(refused > Cases / 10 && refused < Cases - (Cases / 10), $"{refused} of {Cases} inputs refused");
    }

    private static Verdict Run(int index, byte[] input, Http1Limits limits, string how, Action<Http1FramingValidator> feed)
    {
        var validator = new Http1FramingValidator(limits);
        try
        {
            feed(validator);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"case {index} {Show(input)} fed {how}: {e}");
        }

        return new Verdict(validator.Failure?.Status, validator.Failure?.Reason, validator.Releasable);
    }

    private static void Scan(Http1FramingValidator validator, ReadOnlySequence<byte> buffer, long handed)
    {
        validator.Scan(buffer, handed);
        Assert.InRange(validator.Releasable, handed, validator.Scanned);
        Assert.InRange(validator.Scanned, 0, buffer.Length);
    }

    /// <summary>One byte per read, as <see cref="ValidatingPipeReader"/> would: the server gets and consumes all that is released.</summary>
    private static void Trickle(Http1FramingValidator validator, byte[] input)
    {
        var start = 0;
        for (var end = 1; end <= input.Length && validator.Failure is null; end++)
        {
            Scan(validator, new ReadOnlySequence<byte>(input, start, end - start), handed: 0);
            var consumed = validator.Releasable;
            validator.Consumed(consumed);
            start += (int)consumed;
        }
    }

    /// <summary>A head the fast path takes, in one segment or two, passes the validator whole.</summary>
    private static void FastPathAgrees(int index, byte[] input, Http1Limits limits)
    {
        var kinds = new HashSet<HeadKind>();
        var head = new RequestHead();
        for (var split = 0; split < input.Length; split += Math.Max(1, input.Length / 8))
        {
            var kind = head.Parse(split == 0 ? new ReadOnlySequence<byte>(input) : TwoSegments(input, split), limits);
            kinds.Add(kind);
            if (kind == HeadKind.Whole)
            {
                var validator = new Http1FramingValidator(limits);
                validator.Scan(new ReadOnlySequence<byte>(head.Bytes), 0);
                Assert.True(validator.Failure is null && validator.Releasable == head.Length, $"case {index} {Show(input)}: the fast path takes a head the validator refuses ({validator.Failure})");
            }
        }

        // Every verdict but Whole hands the connection to the full path; only its metric label may vary.
        Assert.True(!kinds.Contains(HeadKind.Whole) || kinds.Count == 1, $"case {index} {Show(input)}: whether the fast path takes the head depends on the split ({string.Join(", ", kinds)})");
    }

    private static ReadOnlySequence<byte> TwoSegments(byte[] input, int split)
    {
        var first = new Segment(input.AsMemory(0, split), 0);
        var last = first.Append(input.AsMemory(split));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static string Show(byte[] input)
        => "\"" + Encoding.Latin1.GetString(input).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
