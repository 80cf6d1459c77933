import Foundation

/// A migrations folder found on disk for a configured location (`migrations.locations`).
///
/// An absolute location is taken as it is. A relative one is looked for in the working
/// directory first, then beside the running executable and in up to six folders above it: a
/// binary built into `.build/release/` and started from another folder still finds the
/// project's `Migrations/`. Only when none has it does start-up fail, naming every place
/// looked at.
public struct MigrationLocation: Sendable, Hashable {
    /// The folder's path.
    public let path: String
    /// Whether it was found relative to the executable rather than the working directory.
    public let foundBesideExecutable: Bool

    /// How many folders above the executable's own are searched.
    static let levelsAboveExecutable = 6

    /// Finds `location`.
    /// - Parameters:
    ///   - location: The configured folder.
    ///   - workingDirectory: Where relative locations are looked for first (default: the
    ///     process's working directory).
    ///   - executable: The running program (default: this process's, symbolic links resolved).
    /// - Throws: ``MigrationError`` `.locationNotFound`, naming where it looked.
    public static func resolve(
        _ location: String,
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        executable: String? = MigrationLocation.currentExecutable
    ) throws(MigrationError) -> MigrationLocation {
        if location.hasPrefix("/") {
            guard isDirectory(location) else {
                throw MigrationError(.locationNotFound, file: location, message: "there is no migrations folder '\(location)'")
            }
            return MigrationLocation(path: location, foundBesideExecutable: false)
        }
        let inWorkingDirectory = URL(fileURLWithPath: workingDirectory).appendingPathComponent(location).path
        if isDirectory(inWorkingDirectory) { return MigrationLocation(path: inWorkingDirectory, foundBesideExecutable: false) }
        var searched = "the working directory (\(workingDirectory))"
        if let executable {
            var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
            let start = folder.path
            for _ in 0...levelsAboveExecutable {
                let candidate = folder.appendingPathComponent(location).path
                if isDirectory(candidate) { return MigrationLocation(path: candidate, foundBesideExecutable: true) }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
            searched += " or beside the executable (\(start) and the \(levelsAboveExecutable) folders above it)"
        }
        throw MigrationError(.locationNotFound, file: location, message: "there is no migrations folder '\(location)' in \(searched)")
    }

    /// This process's executable, symbolic links resolved.
    public static var currentExecutable: String? {
        #if os(Linux)
        let link = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        if link != "/proc/self/exe" { return link }
        #endif
        return Bundle.main.executableURL?.resolvingSymlinksInPath().path
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
