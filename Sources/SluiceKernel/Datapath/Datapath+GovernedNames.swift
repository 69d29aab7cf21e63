import SluiceABI
import SluiceCore

extension Datapath {
    /// Adds and updates the governed names of `image` (`sluice_governed_names`); called before
    /// the flip, so the names of a new generation's executables are there when it takes effect.
    func writeGovernedNames(_ image: DatapathImage) throws {
        let names = maps.governedNames
        for (name, identity) in image.governedNames {
            try names.update(sluice_name_key(name), sluice_file_identity(identity))
        }
    }

    /// Removes the names `image` no longer governs; called after the flip.
    func pruneGovernedNames(_ image: DatapathImage) throws {
        let names = maps.governedNames
        let wanted = Set(image.governedNames.keys.map { NameKeyBytes(sluice_name_key($0)) })
        for key in try names.keys(as: sluice_name_key.self) where !wanted.contains(NameKeyBytes(key)) {
            _ = try names.delete(key)
        }
    }
}

/// A name key's bytes, to compare keys read back from the kernel.
private struct NameKeyBytes: Hashable {
    let bytes: [UInt8]
    init(_ key: sluice_name_key) {
        bytes = withUnsafeBytes(of: key) { Array($0) }
    }
}

extension sluice_name_key {
    init(_ name: GovernedName) {
        self.init()
        dir_ino = name.directory.inode
        dir_dev = name.directory.device
        withUnsafeMutableBytes(of: &self.name) { buffer in
            // GovernedName holds at most SLUICE_NAME_MAX - 1 bytes; the rest stays zero.
            for (index, byte) in name.name.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
    }
}

extension sluice_file_identity {
    init(_ identity: ExecutableIdentity) {
        self.init()
        ino = identity.inode
        dev = identity.device
    }
}
