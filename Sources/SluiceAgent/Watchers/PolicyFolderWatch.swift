import Foundation
import SluiceKernel

/// The inotify watches that follow the policy folder: the folder itself, and its parent for the
/// folder's own name, so that a folder deleted and created again (a ConfigMap remount, an `rm -r`
/// and a copy) is noticed and watched anew instead of going silent.
struct PolicyFolderWatch: Sendable {
    let path: String
    let parent: String
    let name: String

    init(path: String) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        parent = url.deletingLastPathComponent().path
        name = url.lastPathComponent
    }

    /// (Re)adds both watches; adding a watch that exists is harmless, and a recreated folder
    /// gets a watch of its new inode. The folder may be missing (the parent watch waits for it).
    func watch(_ inotify: Inotify) throws {
        try inotify.watch(parent, mask: Inotify.directoryChanges)
        if FileManager.default.fileExists(atPath: path) {
            try inotify.watch(path)
        }
    }

    /// Whether a change concerns the policy files: inside the folder, or the folder's own entry.
    func isAffected(_ change: Inotify.Change) -> Bool {
        change.directory == path || (change.directory == parent && change.name == name)
    }
}
