using Portico.Hosting;

namespace Portico.Tests.Hosting;

/// <summary>When the proxy is at rest long enough to hand memory back (`proxy.releaseMemoryAfter`).</summary>
public sealed class MemoryReleaseTests
{
    private const long Worth = MemoryRelease.WorthBytes;

    // Before the first release the level to grow from is Worth itself (about what a release leaves).
    private const long Base = Worth;
    private const long Grown = Base + Worth;
    private static readonly TimeSpan After = TimeSpan.FromSeconds(30);

    [Fact]
    public void Due_after_the_whole_period_without_an_answer_or_a_request_in_flight()
    {
        var spell = new QuietSpell();
        Assert.False(spell.Due(S(0), answered: 10, active: 0, committed: Base, After));
        Assert.False(spell.Due(S(29.9), answered: 10, active: 0, committed: Grown, After));
        Assert.True(spell.Due(S(30), answered: 10, active: 0, committed: Grown, After));
    }

    [Fact]
    public void An_answer_starts_the_period_again()
    {
        var spell = new QuietSpell();
        spell.Due(S(0), answered: 10, active: 0, committed: Base, After);
        Assert.False(spell.Due(S(20), answered: 11, active: 0, committed: Grown, After));
        Assert.False(spell.Due(S(45), answered: 11, active: 0, committed: Grown, After));
        Assert.True(spell.Due(S(50), answered: 11, active: 0, committed: Grown, After));
    }

    [Fact]
    public void A_request_in_flight_keeps_it_from_being_due_and_its_end_starts_the_period_again()
    {
        var spell = new QuietSpell();
        spell.Due(S(0), answered: 10, active: 1, committed: Base, After);
        Assert.False(spell.Due(S(40), answered: 10, active: 1, committed: Grown, After));
        Assert.False(spell.Due(S(41), answered: 10, active: 0, committed: Grown, After));
        Assert.False(spell.Due(S(70), answered: 10, active: 0, committed: Grown, After));
        Assert.True(spell.Due(S(71), answered: 10, active: 0, committed: Grown, After));
    }

    [Fact]
    public void Not_due_until_the_committed_memory_is_worth_above_what_a_release_leaves()
    {
        var spell = new QuietSpell();
        spell.Due(S(0), answered: 0, active: 0, committed: 12 << 20, After);
        Assert.False(spell.Due(S(60), answered: 0, active: 0, committed: Grown - 1, After));
        Assert.True(spell.Due(S(61), answered: 0, active: 0, committed: Grown, After));
    }

    [Fact]
    public void Once_per_quiet_spell_unless_the_memory_grows_as_much_again()
    {
        var spell = new QuietSpell();
        spell.Due(S(0), answered: 5, active: 0, committed: Base, After);
        Assert.True(spell.Due(S(30), answered: 5, active: 0, committed: 3 * Grown, After));
        spell.Released(S(30), committed: 11 << 20);
        Assert.False(spell.Due(S(90), answered: 5, active: 0, committed: 13 << 20, After));
        Assert.False(spell.Due(S(95), answered: 5, active: 0, committed: (11 << 20) + Worth - 1, After));
        Assert.True(spell.Due(S(96), answered: 5, active: 0, committed: (11 << 20) + Worth, After));
    }

    [Fact]
    public void A_period_of_zero_turns_it_off()
    {
        var spell = new QuietSpell();
        spell.Due(S(0), answered: 0, active: 0, committed: Base, TimeSpan.Zero);
        Assert.False(spell.Due(S(3600), answered: 0, active: 0, committed: 100 * Grown, TimeSpan.Zero));
    }

    [Theory]
    [InlineData(30, 5000)]
    [InlineData(10, 2000)]
    [InlineData(1, 200)]
    [InlineData(0.1, 200)]
    [InlineData(0, 5000)]
    public void Checked_five_times_a_period_between_200_ms_and_5_s(double afterSeconds, int expectedMs)
        => Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), MemoryRelease.CheckEvery(S(afterSeconds)));

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);
}
