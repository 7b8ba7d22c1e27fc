using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

/// <summary>
/// Snippets of httpd.conf in the forms public configs and HOWTOs give them (Corpus/*.conf), each parsed as it is,
/// with the mounts, notices and warnings it must give. A snippet's expectations are its own "#!" comment lines:
/// <c>#! app PATH</c> and <c>#! dir PATH</c> create an executable or a directory under the test's root (the
/// snippets' absolute paths start with {root}, because Pm checks that app files and root directories exist, as it
/// always has); <c>#! mount PREFIX -> TARGET</c> is a line of the URL map; <c>#! notice LINE TEXT</c> and
/// <c>#! warning LINE TEXT</c> a notice or warning at that line. Every notice and warning must be expected, so one
/// the parser starts giving, or stops giving, fails the test.
/// </summary>
public sealed class ApacheCorpusTests : IDisposable
{
    private static readonly string CorpusDir = Path.Combine(Paths.RepoRoot, "tests/Pm.Tests/Config/Corpus");
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Snippets()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(CorpusDir, "*.conf").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void Corpus_HasAtLeastTwelveSnippets() => Snippets().Count.Should().BeGreaterThanOrEqualTo(12);

    [Theory]
    [MemberData(nameof(Snippets))]
    public void Snippet_Parses_AndGivesItsExpectedMountsNoticesAndWarnings(string name)
    {
        var root = _dir.Path;
        var text = File.ReadAllText(Path.Combine(CorpusDir, name)).Replace("{root}", root);
        var expectedMounts = new List<string>();
        var expectedNotices = new List<(int Line, string Text)>();
        var expectedWarnings = new List<(int Line, string Text)>();
        foreach (var line in text.Split('\n').Where(l => l.StartsWith("#! ", StringComparison.Ordinal)).Select(l => l[3..].TrimEnd()))
        {
            var (kind, rest) = (line.Split(' ', 2)[0], line.Split(' ', 2).ElementAtOrDefault(1) ?? "");
            switch (kind)
            {
                case "app":
                    var app = Path.Combine(root, rest);
                    Directory.CreateDirectory(Path.GetDirectoryName(app)!);
                    File.WriteAllText(app, "#!/bin/sh\n");
                    File.SetUnixFileMode(app, (UnixFileMode)0x1ED);
                    break;
                case "dir":
                    Directory.CreateDirectory(Path.Combine(root, rest));
                    break;
                case "mount":
                    expectedMounts.Add(rest);
                    break;
                case "notice" or "warning":
                    var parts = rest.Split(' ', 2);
                    (kind == "notice" ? expectedNotices : expectedWarnings).Add((int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]));
                    break;
            }
        }

        var file = Path.Combine(root, "httpd.conf");
        File.WriteAllText(file, text);
        var config = ConfigParser.ParseFile(file);

        var report = $"mounts:\n{string.Join('\n', UrlMap.Of(config))}\nnotices:\n{string.Join('\n', config.Notices)}\nwarnings:\n{string.Join('\n', ConfigWarnings.Of(config))}";
        UrlMap.Of(config).Select(e => e.ToString()).Should().Equal(expectedMounts, report);
        Match(config.Notices, expectedNotices, report);
        Match(ConfigWarnings.Of(config), expectedWarnings, report);
    }

    private static void Match(IReadOnlyList<ConfigNotice> actual, List<(int Line, string Text)> expected, string report)
    {
        actual.Should().HaveCount(expected.Count, report);
        foreach (var (line, text) in expected)
        {
            actual.Should().Contain(n => n.Line == line && n.Message.Contains(text, StringComparison.Ordinal), $"line {line}: {text}\n{report}");
        }
    }
}
