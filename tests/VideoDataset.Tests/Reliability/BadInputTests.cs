using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Tests.Reliability;

/// <summary>
/// Runs every case of <see cref="BadInputCorpus"/> and computes the figure of issue 6 item 4:
/// cases handled (the expected code at the expected location, or correct acceptance) / total, and
/// crashes (any exception other than a diagnostic), which must be 0.
/// </summary>
[TestClass]
[TestCategory("Reliability")]
public class BadInputTests
{
    public TestContext TestContext { get; set; } = null!;

    [ClassCleanup]
    public static void RemoveTinyModels() => BadInputCorpus.Cleanup();

    public enum Outcome { Handled, Unclear, Crash }

    public sealed record Result(BadInput Case, Outcome Outcome, string Detail);

    public static Result Run(BadInput c)
    {
        string dir = Path.Combine(Path.GetTempPath(), "vds-rel", "case-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            Trial trial;
            try { trial = c.Arrange(dir); }
            catch (Exception e) { return new Result(c, Outcome.Unclear, "could not make the case: " + e.Message); }
            IReadOnlyList<Diagnostic> diagnostics;
            try { diagnostics = trial.Act(); }
            catch (DiagnosticException e) { diagnostics = [e.Diagnostic]; }
            catch (Exception e) { return new Result(c, Outcome.Crash, $"{e.GetType().Name}: {e.Message}"); }

            var errors = diagnostics.Where(d => d.Severity == Severity.Error).ToList();
            string found = errors.Count == 0 ? "no error" : string.Join(" | ", errors.Select(d => d.ToString()));
            if (trial.Code is null)
            {
                string? problem = errors.Count > 0 ? "expected acceptance, found " + found : trial.Accepted?.Invoke(diagnostics);
                return problem is null ? new Result(c, Outcome.Handled, "accepted") : new Result(c, Outcome.Unclear, problem);
            }
            var hit = errors.FirstOrDefault(d => d.Code == trial.Code && d.File == trial.File && d.Line == trial.Line && d.Column == trial.Column
                && d.Message.Length > 10);
            return hit is not null
                ? new Result(c, Outcome.Handled, hit.ToString())
                : new Result(c, Outcome.Unclear, $"expected {trial.Code} at {trial.File}({trial.Line},{trial.Column}), found {found}");
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
                // Files a case put next to its folder (outside it, on purpose).
                foreach (string f in Directory.GetFiles(Path.GetDirectoryName(dir)!, Path.GetFileName(dir) + "-*")) File.Delete(f);
            }
            catch (IOException) { }
        }
    }

    [TestMethod]
    public void EveryBadInputGetsItsErrorAtItsLocationAndNothingCrashes()
    {
        var results = BadInputCorpus.All.Select(Run).ToList();
        foreach (var group in results.GroupBy(r => r.Case.Area))
        {
            TestContext.WriteLine($"== {group.Key}: {group.Count(r => r.Outcome == Outcome.Handled)}/{group.Count()} handled");
            foreach (var r in group) TestContext.WriteLine($"  [{r.Outcome}] {r.Case.Name}: {r.Detail}");
        }
        int handled = results.Count(r => r.Outcome == Outcome.Handled), crashes = results.Count(r => r.Outcome == Outcome.Crash);
        TestContext.WriteLine($"FIGURE bad inputs: {handled}/{results.Count} handled with a clear error at the right place, {crashes} crashes");

        Assert.IsGreaterThanOrEqualTo(40, results.Count);
        var bad = results.Where(r => r.Outcome != Outcome.Handled).ToList();
        Assert.IsEmpty(bad, string.Join("\n", bad.Select(r => $"[{r.Outcome}] {r.Case}: {r.Detail}")));
    }
}
