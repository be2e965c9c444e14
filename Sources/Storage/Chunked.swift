extension Collection {
    /// The collection in consecutive pieces of at most `size` elements (the last may be shorter): for
    /// statements that bind a list, `IN (…)`, which must stay under the engines' bind limits.
    public func chunked(_ size: Int) -> [SubSequence] {
        precondition(size > 0, "a chunk holds at least one element")
        var pieces: [SubSequence] = []
        var start = startIndex
        while start != endIndex {
            let end = index(start, offsetBy: size, limitedBy: endIndex) ?? endIndex
            pieces.append(self[start..<end])
            start = end
        }
        return pieces
    }
}
