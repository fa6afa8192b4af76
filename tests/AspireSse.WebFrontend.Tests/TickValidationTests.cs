using AspireSse.Contracts;
using AspireSse.WebFrontend.Relay;

namespace AspireSse.WebFrontend.Tests;

/// <summary>What a tick from Redis must look like before a replica believes it.</summary>
public sealed class TickValidationTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("3fa81c02", 1)]
    [InlineData("A", TickId.MaxSequence)]
    [InlineData("abcdefghijklmnopqrstuvwxyz012345", 42)]
    public void AWellFormedTickPasses(string epoch, long sequence) =>
        Assert.Null(TickValidation.Problem(new Tick(epoch, sequence, Now), Now));

    [Theory]
    [InlineData("", "its epoch is not 1 to 32 ASCII letters and digits")]
    [InlineData("ab\ncd", "its epoch is not 1 to 32 ASCII letters and digits")]
    [InlineData("3fa8-1c02", "its epoch is not 1 to 32 ASCII letters and digits")]
    [InlineData("épоch", "its epoch is not 1 to 32 ASCII letters and digits")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", "its epoch is not 1 to 32 ASCII letters and digits")]
    public void AnEpochThatCouldNotBeAnIdIsRefused(string epoch, string problem) =>
        Assert.Equal(problem, TickValidation.Problem(new Tick(epoch, 5, Now), Now));

    [Fact]
    public void AMissingEpochIsRefused() =>
        Assert.Equal("its epoch is not 1 to 32 ASCII letters and digits", TickValidation.Problem(new Tick(null!, 5, Now), Now));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(TickId.MaxSequence + 1)]
    [InlineData(999_999_999_999_999_999)]
    public void ASequenceOutsideOneToTheLargestIsRefused(long sequence) =>
        Assert.Equal($"its sequence {sequence} is not between 1 and {TickId.MaxSequence}", TickValidation.Problem(new Tick("e1", sequence, Now), Now));

    [Fact]
    public void ATickWithoutAPublishTimeIsRefused() =>
        Assert.Equal("it has no publishedAt", TickValidation.Problem(new Tick("e1", 5, default), Now));

    [Fact]
    public void APublishTimeUpToADayAheadOfTheClockPassesAndBeyondItIsRefused()
    {
        Assert.Null(TickValidation.Problem(new Tick("e1", 5, Now + TickValidation.MaxPublishedAhead), Now));
        Assert.Null(TickValidation.Problem(new Tick("e1", 5, Now - TimeSpan.FromDays(365)), Now));

        var problem = TickValidation.Problem(new Tick("e1", 5, Now + TickValidation.MaxPublishedAhead + TimeSpan.FromSeconds(1)), Now);

        Assert.Equal("its publishedAt 2030-01-02T12:00:01.0000000+00:00 is more than 24 hours ahead of this replica's clock", problem);
    }

    [Theory]
    [InlineData("3fa81c02", true)]
    [InlineData("ab\ncd", false)]
    [InlineData("ab cd", false)]
    [InlineData("", false)]
    public void TheEpochRuleIsTheOneALastEventIdIsParsedWith(string epoch, bool valid)
    {
        Assert.Equal(valid, TickId.IsValidEpoch(epoch));
        Assert.Equal(valid, TickId.TryParse($"{epoch}-5", out _, out _));
    }
}
