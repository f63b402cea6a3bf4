namespace VideoDataset.Core.IO;

/// <summary>One well-formed line of a JSON Lines file: its 1-based line number and its keys in file order.</summary>
public sealed record JsonLineObject(int Line, IReadOnlyList<JsonLineProperty> Properties)
{
    public JsonLineProperty? Find(string name) => Properties.FirstOrDefault(p => p.Name == name);
}
