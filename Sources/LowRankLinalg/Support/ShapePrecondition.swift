/// Stops the program with `message` when `condition` is false, in debug and release builds alike.
///
/// The library's documented traps (BLAS and LAPACK shape mismatches, indices out of range: programming
/// errors, not conditions a caller can recover from) go through it rather than `precondition`,
/// whose message an optimized build drops: here the release-build crash report names the routine
/// and the sizes. `message` is built only on failure, so a passing check costs one branch.
@inline(__always)
public func shapePrecondition(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                              file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
