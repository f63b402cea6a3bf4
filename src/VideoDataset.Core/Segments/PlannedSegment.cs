namespace VideoDataset.Core.Segments;

/// <summary>
/// One conformant segment: <see cref="SegmentSeconds"/> seconds from <see cref="Start"/> of the
/// raw video, inside its scene [.., <see cref="SceneEnd"/>). Padded segments (scenes of 2 to 3 s)
/// repeat the scene's last frame up to their length.
/// </summary>
public sealed record PlannedSegment(string Id, int Scene, int IndexInScene, double Start, double SceneEnd, bool IsSceneStart, bool IsSceneEnd, bool Padded);
