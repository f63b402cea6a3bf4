using System.Text;
using VideoDataset.Core.IO;

namespace VideoDataset.Tests.Tensors;

[TestClass]
[TestCategory("Unit")]
public class AtomicFileTests
{
    [TestMethod]
    public void WritesCreatesTheFolderAndReplacesTheTarget()
    {
        using var dir = new TempFolder();
        string path = dir.File("a/b/out.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        AtomicFile.Write(path, s => s.Write([9, 8]));
        CollectionAssert.AreEqual(new byte[] { 9, 8 }, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "out.bin" }, Directory.GetFiles(dir.File("a/b")).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void WriterThatThrowsLeavesNoTempFileAndTheOldTargetUntouched()
    {
        using var dir = new TempFolder();
        string path = dir.File("out.txt");
        AtomicFile.WriteAllText(path, "old");
        Assert.ThrowsExactly<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]); // more than the buffer, so part of it did reach the temp file
            throw new InvalidOperationException("boom");
        }));
        Assert.AreEqual("old", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { "out.txt" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void WriterThatThrowsLeavesNoPartialTarget()
    {
        using var dir = new TempFolder();
        string path = dir.File("new.bin");
        Assert.ThrowsExactly<IOException>(() => AtomicFile.Write(path, s => { s.Write([1, 2, 3]); throw new IOException("disk full"); }));
        Assert.IsFalse(File.Exists(path));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(dir.Path).Length);
    }

    [TestMethod]
    public void TempFileUsesTheMarkerInTheTargetFolder()
    {
        using var dir = new TempFolder();
        string path = dir.File("x.pt");
        string[] during = [];
        AtomicFile.Write(path, s => { s.WriteByte(1); during = Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToArray()!; });
        Assert.HasCount(1, during);
        StringAssert.StartsWith(during[0], "x.pt" + AtomicFile.TempMarker);
        Assert.IsFalse(File.Exists(dir.File(during[0])));
    }

    [TestMethod]
    public void WriteAllTextIsUtf8WithoutBom()
    {
        using var dir = new TempFolder();
        string path = dir.File("t.json");
        AtomicFile.WriteAllText(path, "é");
        CollectionAssert.AreEqual(Encoding.UTF8.GetBytes("é"), File.ReadAllBytes(path));
    }

    [TestMethod]
    public void WriteTextIfDifferentLeavesAnEqualFileAndItsTimestampAlone()
    {
        using var dir = new TempFolder();
        string path = dir.File("m.jsonl");
        Assert.IsTrue(AtomicFile.WriteTextIfDifferent(path, "line\n"));
        var old = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, old);
        Assert.IsFalse(AtomicFile.WriteTextIfDifferent(path, "line\n"));
        Assert.AreEqual(old, File.GetLastWriteTimeUtc(path));
        Assert.IsTrue(AtomicFile.WriteTextIfDifferent(path, "line2\n"));
        Assert.AreEqual("line2\n", File.ReadAllText(path));
        Assert.AreNotEqual(old, File.GetLastWriteTimeUtc(path));
    }
}
