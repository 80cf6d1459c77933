import struct Configuration.ConfigReader
import struct Configuration.InMemoryProvider

/// A reader with no values: every key takes its documented default.
let emptyConfigReader = ConfigReader(provider: InMemoryProvider(values: [:]))
