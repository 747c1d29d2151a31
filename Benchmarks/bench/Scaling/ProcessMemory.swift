import Foundation

/// Resident memory of this process, read from /proc/self/status (Linux).
enum ProcessMemory {
    /// The current resident set size (VmRSS), in bytes; 0 when unavailable.
    static var resident: Double { field("VmRSS:") }
    /// The peak resident set size since the process started (VmHWM), in bytes; 0 when unavailable.
    static var peakResident: Double { field("VmHWM:") }

    private static func field(_ name: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            let kilobytes = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Double($0) } ?? 0
            return kilobytes * 1024
        }
        return 0
    }
}
