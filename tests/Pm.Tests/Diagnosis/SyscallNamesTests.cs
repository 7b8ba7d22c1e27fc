using System.Runtime.InteropServices;
using Pm.Diagnosis;

namespace Pm.Tests.Diagnosis;

/// <summary>The syscall table: numbers differ between x86_64 and aarch64.</summary>
public sealed class SyscallNamesTests
{
    [Theory]
    [InlineData(0, "read")]
    [InlineData(230, "clock_nanosleep")]
    [InlineData(35, "nanosleep")]
    [InlineData(288, "accept4")]
    [InlineData(202, "futex")]
    [InlineData(232, "epoll_wait")]
    public void Name_X64_KnownNumbers(int number, string name) =>
        SyscallNames.Name(number, Architecture.X64).Should().Be(name);

    [Theory]
    [InlineData(63, "read")]
    [InlineData(115, "clock_nanosleep")]
    [InlineData(242, "accept4")]
    [InlineData(98, "futex")]
    [InlineData(73, "ppoll")]
    public void Name_Arm64_KnownNumbers(int number, string name) =>
        SyscallNames.Name(number, Architecture.Arm64).Should().Be(name);

    [Fact]
    public void Name_Unknown_SaysSyscallN() =>
        SyscallNames.Name(999, Architecture.X64).Should().Be("syscall 999");
}
