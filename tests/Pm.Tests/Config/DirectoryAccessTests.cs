using Pm.Config;

namespace Pm.Tests.Config;

/// <summary>How far a Pm-made directory is opened for the sockets in it: 0700, 0710 and one group, or 0711.</summary>
public sealed class DirectoryAccessTests
{
    private const uint PmUser = 1000;
    private const uint PmGroup = 1000;

    private static SocketAccess Socket(uint mode, uint? user = null, uint? group = null) =>
        new(user, user is null ? null : "u" + user, group, group is null ? null : "g" + group, mode);

    private static DirectoryAccess For(params SocketAccess[] sockets) =>
        DirectoryAccess.For(sockets.Select((s, i) => ($"socket {i}", s)), PmUser, PmGroup);

    [Fact]
    public void For_EverySocketPrivate_Is0700()
    {
        For(SocketAccess.Private, Socket(0x180)).Should().Be(DirectoryAccess.Private);
        For().Should().Be(DirectoryAccess.Private);
    }

    [Fact]
    public void For_GroupMayOnlyRead_Is0700_BecauseConnectNeedsWrite()
    {
        For(Socket(0x1A0 /* 0640 */, group: 33)).Mode.Should().Be(DirectoryAccess.PrivateMode);
    }

    [Fact]
    public void For_OneGroup_IsThatGroupAnd0710()
    {
        var access = For(Socket(0x1B0, group: 33), Socket(0x180), Socket(0x1B0, group: 33));
        access.Mode.Should().Be(DirectoryAccess.GroupSearchMode);
        access.GroupId.Should().Be(33u);
        access.Reason.Should().Be("socket 0 lets group g33 connect");
    }

    [Fact]
    public void For_TheGroupOfTheDefaultSocketGroup_IsThePmsGroup()
    {
        var access = For(Socket(0x1B0));
        access.Mode.Should().Be(DirectoryAccess.GroupSearchMode);
        access.GroupId.Should().Be(PmGroup);
    }

    [Fact]
    public void For_TwoGroups_Is0711()
    {
        var access = For(Socket(0x1B0, group: 33), Socket(0x1B0, group: 34));
        access.Mode.Should().Be(DirectoryAccess.SearchMode);
        access.GroupId.Should().BeNull();
        access.Reason.Should().Contain("2 groups");
    }

    [Fact]
    public void For_OthersOrAnotherOwner_Is0711()
    {
        For(Socket(0x1B6)).Mode.Should().Be(DirectoryAccess.SearchMode);
        For(Socket(0x180, user: 33), Socket(0x1B0, group: 33)).Should().Match<DirectoryAccess>(a =>
            a.Mode == DirectoryAccess.SearchMode && a.Reason.StartsWith("socket 0 belongs to user u33", StringComparison.Ordinal));
    }
}
