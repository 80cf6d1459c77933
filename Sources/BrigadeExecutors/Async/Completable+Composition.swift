import Synchronization

extension Completable {
    /// A completable of `transform`'s result once this one succeeds (Java's `thenApply`); this
    /// one's error, or what `transform` throws, fails it. Cancelling it cancels this one.
    ///
    /// `transform` runs on the thread that completes this one, or at once when it is complete.
    public func map<U: Sendable>(_ transform: @escaping @Sendable (T) throws -> U) -> Completable<U> {
        let next = Completable<U>()
        next.onCancel { reason in self.cancel(reason: reason) }
        whenComplete { result in
            next.complete(with: result.flatMap { value in Result { try transform(value) } })
        }
        return next
    }

    /// A completable of the completable `next` returns once this one succeeds (Java's
    /// `thenCompose`): chains a second asynchronous step on the first's value. Cancelling it
    /// cancels whichever step is under way.
    public func flatMap<U: Sendable>(_ next: @escaping @Sendable (T) throws -> Completable<U>) -> Completable<U> {
        let chained = Completable<U>()
        chained.onCancel { reason in self.cancel(reason: reason) }
        whenComplete { result in
            switch result {
            case .success(let value):
                do {
                    let second = try next(value)
                    chained.onCancel { reason in second.cancel(reason: reason) }
                    second.whenComplete { chained.complete(with: $0) }
                } catch {
                    chained.fail(error)
                }
            case .failure(let error):
                chained.fail(error)
            }
        }
        return chained
    }

    /// A completable that succeeds like this one, or with `handler`'s value when this one
    /// fails (Java's `exceptionally`); `handler` may rethrow. A cancellation is not recovered.
    public func recover(_ handler: @escaping @Sendable (any Error) throws -> T) -> Completable<T> {
        let next = Completable<T>()
        next.onCancel { reason in self.cancel(reason: reason) }
        whenComplete { result in
            switch result {
            case .success: next.complete(with: result)
            case .failure(let error as CancellationError): next.fail(error)
            case .failure(let error): next.complete(with: Result { try handler(error) })
            }
        }
        return next
    }

    /// A completable of both values once both succeed (Java's `thenCombine`): the two run
    /// concurrently. The first failure fails it and cancels the other; cancelling it cancels
    /// both.
    public func and<U: Sendable>(_ other: Completable<U>) -> Completable<(T, U)> {
        combine(self, other)
    }

    /// A completable of every value, in order, once all succeed (Java's `allOf`). The first
    /// failure fails it and cancels the rest; cancelling it cancels all.
    public static func all(_ completables: [Completable<T>]) -> Completable<[T]> {
        let combined = Completable<[T]>()
        guard !completables.isEmpty else {
            combined.succeed([])
            return combined
        }
        let gathered = Gathered<T>(count: completables.count)
        combined.onCancel { reason in for each in completables { each.cancel(reason: reason) } }
        for (index, each) in completables.enumerated() {
            each.whenComplete { result in
                switch result {
                case .success(let value):
                    if let values = gathered.store(value, at: index) { combined.succeed(values) }
                case .failure(let error):
                    if combined.fail(error) {
                        for other in completables { other.cancel(reason: "another part of the result failed") }
                    }
                }
            }
        }
        return combined
    }
}

/// ``Completable/and(_:)``'s work.
private func combine<A: Sendable, B: Sendable>(_ first: Completable<A>, _ second: Completable<B>) -> Completable<(A, B)> {
    let combined = Completable<(A, B)>()
    let pair = Gathered<PairPart<A, B>>(count: 2)
    combined.onCancel { reason in
        first.cancel(reason: reason)
        second.cancel(reason: reason)
    }
    @Sendable func failed(_ error: any Error) {
        if combined.fail(error) {
            first.cancel(reason: "another part of the result failed")
            second.cancel(reason: "another part of the result failed")
        }
    }
    @Sendable func stored(_ part: PairPart<A, B>, at index: Int) {
        guard let parts = pair.store(part, at: index) else { return }
        if case .first(let a) = parts[0], case .second(let b) = parts[1] { combined.succeed((a, b)) }
    }
    first.whenComplete { result in
        switch result {
        case .success(let a): stored(.first(a), at: 0)
        case .failure(let error): failed(error)
        }
    }
    second.whenComplete { result in
        switch result {
        case .success(let b): stored(.second(b), at: 1)
        case .failure(let error): failed(error)
        }
    }
    return combined
}

/// One of the two values ``Completable/and(_:)`` waits for.
private enum PairPart<A: Sendable, B: Sendable>: Sendable {
    case first(A)
    case second(B)
}

/// The values of several completables, gathered as they arrive from any thread.
private final class Gathered<Element: Sendable>: Sendable {
    private struct State {
        var values: [Element?]
        var missing: Int
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(values: Array(repeating: nil, count: count), missing: count))
    }

    /// Stores one value.
    /// - Returns: Every value, in order, when this was the last one missing.
    func store(_ value: Element, at index: Int) -> [Element]? {
        state.withLock { state -> [Element]? in
            guard state.values[index] == nil else { return nil }
            state.values[index] = value
            state.missing -= 1
            return state.missing == 0 ? state.values.compactMap { $0 } : nil
        }
    }
}
