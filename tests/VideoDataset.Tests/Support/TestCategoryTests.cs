using System.Reflection;

namespace VideoDataset.Tests.Support;

/// <summary>
/// Every test class is in exactly one category (Unit; Reference for the model tests that run the PyTorch
/// references, real-size checkpoints or real video decoding, tens of seconds each; EndToEnd; Reliability; and
/// Package and Cluster for the tests that pack and restore the NuGet packages or start a Slurm cluster), so `--filter TestCategory=Unit` is the
/// fast inner loop and no test falls outside every filter.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public sealed class TestCategoryTests
{
    static readonly string[] Categories = ["Unit", "Reference", "EndToEnd", "Reliability", "Package", "Cluster"];

    [TestMethod]
    public void EveryTestClassHasExactlyOneCategory()
    {
        var classes = typeof(TestCategoryTests).Assembly.GetTypes().Where(t => t.GetCustomAttribute<TestClassAttribute>() is not null).ToList();
        Assert.IsGreaterThan(30, classes.Count);
        var wrong = classes
            .Select(t => (t.FullName, Found: t.GetCustomAttributes<TestCategoryAttribute>().SelectMany(a => a.TestCategories).ToList()))
            .Where(c => c.Found.Count != 1 || !Categories.Contains(c.Found[0]))
            .Select(c => $"{c.FullName}: [{string.Join(", ", c.Found)}]")
            .ToList();
        Assert.IsEmpty(wrong, "expected one of " + string.Join(", ", Categories) + " on each test class:\n" + string.Join("\n", wrong));
    }

    [TestMethod]
    public void NoTestMethodAddsACategoryOfItsOwn()
    {
        // A method-level category adds to its class's, so a slow method in a Unit class would still run under the Unit filter.
        var methods = typeof(TestCategoryTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .Where(m => m.GetCustomAttribute<TestMethodAttribute>() is not null && m.GetCustomAttributes<TestCategoryAttribute>().Any())
            .Select(m => $"{m.DeclaringType!.FullName}.{m.Name}")
            .ToList();
        Assert.IsEmpty(methods, string.Join("\n", methods));
    }
}
