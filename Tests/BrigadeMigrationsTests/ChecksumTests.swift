@testable import BrigadeMigrations
import Testing

@Suite("Checksums and versions")
struct ChecksumTests {
    @Test("SHA-256 matches the FIPS 180-4 test vectors")
    func sha256Vectors() {
        #expect(SHA256.hex("".utf8) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1000)) == SHA256.hex(String(repeating: "a", count: 1000).utf8))
    }

    @Test("versions compare numerically part by part")
    func versionOrder() throws {
        let versions = try ["10", "1.1", "2", "1", "1_10", "1.2"].map { try #require(MigrationVersion($0)) }
        #expect(versions.sorted().map(\.description) == ["1", "1.1", "1.2", "1.10", "2", "10"])
        #expect(MigrationVersion("1.0") == MigrationVersion("1"))
        #expect(MigrationVersion("a") == nil)
        #expect(MigrationVersion("1..2") == nil)
    }
}
