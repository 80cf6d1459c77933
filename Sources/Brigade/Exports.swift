// What a Brigade user needs comes with `import Brigade`.
@_exported import BrigadeExecutors
@_exported import BrigadeHTTP
@_exported import struct Logging.Logger
@_exported import struct Configuration.ConfigReader
