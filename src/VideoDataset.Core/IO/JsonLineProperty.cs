using System.Text.Json;

namespace VideoDataset.Core.IO;

/// <summary>One key of a JSON Lines object, with the 1-based columns of its name and of its value.</summary>
public sealed record JsonLineProperty(string Name, JsonElement Value, int NameColumn, int Column);
