import BrigadeExecutors
import Testing

/// `ThreadPool.Configuration` validation.
@Suite("ThreadPool configuration")
struct ConfigurationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let configuration: ThreadPool.Configuration
        let names: String
        var testDescription: String { label }
    }

    static let invalid: [Case] = [
        Case(label: "empty name", configuration: .init(name: "", tier: .front), names: "name"),
        Case(label: "zero max", configuration: .init(name: "p", tier: .front, maxThreads: 0), names: "max threads"),
        Case(label: "negative core", configuration: .init(name: "p", tier: .front, coreThreads: -1), names: "core threads"),
        Case(label: "core above max", configuration: .init(name: "p", tier: .front, coreThreads: 5, maxThreads: 2), names: "core threads"),
        Case(label: "negative queue", configuration: .init(name: "p", tier: .front, queueCapacity: -1), names: "queue capacity"),
        Case(label: "negative keep-alive", configuration: .init(name: "p", tier: .front, keepAlive: .seconds(-1)), names: "keep-alive"),
    ]

    @Test(arguments: invalid)
    func validateRejectsTheInvalidValueNamingIt(_ invalid: Case) {
        let error = #expect(throws: ConfigurationError.self) { try invalid.configuration.validate() }
        #expect(error?.message.contains(invalid.names) == true, "\(error?.message ?? "no error")")
        #expect(error?.description == error?.message)
    }

    @Test(arguments: invalid)
    func poolRefusesToStartWithAnInvalidConfiguration(_ invalid: Case) {
        #expect(throws: ConfigurationError.self) { try ThreadPool(configuration: invalid.configuration) }
    }

    @Test func defaultsAreValidAndBounded() throws {
        let configuration = ThreadPool.Configuration(name: "default", tier: .back("default"))
        try configuration.validate()
        #expect(configuration.coreThreads == 0)
        #expect(configuration.maxThreads == 8)
        #expect(configuration.queueCapacity == 100)
        #expect(configuration.keepAlive == .seconds(60))
        #expect(configuration.rejectionPolicy == .abort)
    }

    @Test func edgeValuesAreValid() throws {
        try ThreadPool.Configuration(name: "p", tier: .front, coreThreads: 1, maxThreads: 1, queueCapacity: 0, keepAlive: .zero).validate()
    }

    @Test func rejectionPolicyHasConfigurationSpellings() {
        #expect(RejectionPolicy(rawValue: "abort") == .abort)
        #expect(RejectionPolicy(rawValue: "caller-runs") == .callerRuns)
    }
}
