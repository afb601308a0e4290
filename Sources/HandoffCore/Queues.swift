/// A queue of conversations for humans: how soon someone must first answer, where a
/// conversation goes when nobody did in time, and who works it.
public struct Queue: Sendable, Equatable {
    public var name: String
    public var firstResponseSLAMilliseconds: Int64
    /// Where a conversation moves when its first response is overdue; nil: it stays.
    public var overflowQueue: String?
    /// Agent ids; empty: any agent.
    public var members: [String]
    /// Whether a conversation that enters the queue is given to a present agent who works it
    /// (round robin, least recently assigned first); false: agents claim conversations themselves.
    public var autoAssign: Bool
    /// When the longest wait in the queue for a first human answer reaches this, each customer
    /// waiting in it gets the wait-time notice (once per conversation); nil: no notices.
    public var waitNoticeAfterMilliseconds: Int64?
    /// The template the wait-time notice is (its approved version in the contact's locale, with
    /// `{{brand}}` and `{{minutes}}`); nil: the built-in system text.
    public var waitNoticeTemplate: String?

    public init(
        name: String, firstResponseSLAMilliseconds: Int64 = QueueCatalog.defaultSLAMilliseconds,
        overflowQueue: String? = nil, members: [String] = [], autoAssign: Bool = false,
        waitNoticeAfterMilliseconds: Int64? = nil, waitNoticeTemplate: String? = nil
    ) {
        self.waitNoticeAfterMilliseconds = waitNoticeAfterMilliseconds
        self.waitNoticeTemplate = waitNoticeTemplate
        self.name = name
        self.firstResponseSLAMilliseconds = firstResponseSLAMilliseconds
        self.overflowQueue = overflowQueue
        self.members = members
        self.autoAssign = autoAssign
    }

    /// Whether auto-assignment may give this queue's conversations to the agent `id`, made with
    /// `agentQueues`: the queue's members and the agents made with this queue; a queue without
    /// members also takes the agents made with no queue.
    public func autoAssigns(toAgent id: String, agentQueues: [String]) -> Bool {
        members.contains(id) || agentQueues.contains(name) || (members.isEmpty && agentQueues.isEmpty)
    }
}

/// The configured queues (`queues:`), always with the default queue escalations land in.
public struct QueueCatalog: Sendable, Equatable {
    /// Where escalations go unless told otherwise; built in when not configured.
    public static let defaultQueueName = "humans"
    /// A queue's first-response SLA when the configuration gives none.
    public static let defaultSLAMilliseconds: Int64 = 300_000

    /// In configuration order, the default queue last when it was not configured.
    public let queues: [Queue]

    /// Checks names (1 to 64 letters, digits, `_`, `-`; unique), that every overflow queue
    /// is another configured queue and that a `wait_notice_template` is a template name (snake_case).
    public init(_ configured: [Queue] = []) throws(QueueCatalogError) {
        var names = Set<String>()
        for queue in configured {
            guard Self.isName(queue.name) else {
                throw QueueCatalogError("queue name \"\(queue.name)\" must be 1 to 64 letters, digits, _ or -")
            }
            guard names.insert(queue.name).inserted else {
                throw QueueCatalogError("queue \"\(queue.name)\" is configured twice")
            }
            guard queue.firstResponseSLAMilliseconds > 0 else {
                throw QueueCatalogError("queue \"\(queue.name)\": first_response_sla must be positive")
            }
            if let template = queue.waitNoticeTemplate, !TemplateBody.isValidName(template) {
                throw QueueCatalogError(
                    "queue \"\(queue.name)\": wait_notice_template \"\(template)\" must be a template name (snake_case)"
                )
            }
        }
        for queue in configured {
            guard let overflow = queue.overflowQueue else { continue }
            guard overflow != queue.name, names.contains(overflow) || overflow == Self.defaultQueueName else {
                throw QueueCatalogError(
                    "queue \"\(queue.name)\": overflow_queue \"\(overflow)\" must be another configured queue")
            }
        }
        queues = configured + (names.contains(Self.defaultQueueName) ? [] : [Queue(name: Self.defaultQueueName)])
    }

    /// Only the built-in default queue.
    public static let builtIn = QueueCatalog(checked: [Queue(name: defaultQueueName)])

    private init(checked queues: [Queue]) { self.queues = queues }

    public func queue(named name: String) -> Queue? { queues.first { $0.name == name } }

    /// The first-response SLA of `name`; a queue that is not configured has the default queue's.
    public func slaMilliseconds(for name: String) -> Int64 {
        (queue(named: name) ?? queue(named: Self.defaultQueueName))?.firstResponseSLAMilliseconds
            ?? Self.defaultSLAMilliseconds
    }

    /// 1 to 64 ASCII letters, digits, `_` or `-`.
    public static func isName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-")
            }
    }
}

/// A `queues:` configuration that cannot work, said in a sentence.
public struct QueueCatalogError: Error, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }
}
