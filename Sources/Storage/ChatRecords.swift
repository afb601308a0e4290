public import HandoffCore

/// A visitor's browser session, found by the SHA-256 of its cookie token.
public struct SessionRecord: Sendable, Equatable {
    public var id: String
    public var contactID: String
    public var pageURL: String?
    public var displayName: String?
    /// Unix milliseconds, like every time in Storage.
    public var createdAt: Int64
    public var lastSeenAt: Int64
    public var expiresAt: Int64

    public init(
        id: String, contactID: String, pageURL: String?, displayName: String?, createdAt: Int64, lastSeenAt: Int64,
        expiresAt: Int64
    ) {
        self.id = id
        self.contactID = contactID
        self.pageURL = pageURL
        self.displayName = displayName
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
    }
}

/// A person: anonymous at first, later with a verified phone and the business's own id for them.
public struct ContactRecord: Sendable, Equatable {
    public var id: String
    public var phoneE164: String?
    public var locale: String?
    public var timeZone: String?
    /// The business's id for the person, bound by a verified identity hash; never changed once set.
    public var externalID: String?
    /// The name the widget gave when the contact started chatting.
    public var displayName: String?
    public var createdAt: Int64

    public init(
        id: String, phoneE164: String?, locale: String?, timeZone: String?, externalID: String? = nil,
        displayName: String? = nil, createdAt: Int64
    ) {
        self.id = id
        self.phoneE164 = phoneE164
        self.locale = locale
        self.timeZone = timeZone
        self.externalID = externalID
        self.displayName = displayName
        self.createdAt = createdAt
    }
}

/// Where a conversation came from, kept from its start: the campaign, the page, and the UTM
/// fields of the page's address.
public struct ConversationAttribution: Sendable, Equatable {
    public var campaign: String?
    public var pageURL: String?
    public var utmSource: String?
    public var utmMedium: String?
    public var utmCampaign: String?

    public init(
        campaign: String? = nil, pageURL: String? = nil, utmSource: String? = nil, utmMedium: String? = nil,
        utmCampaign: String? = nil
    ) {
        self.campaign = campaign
        self.pageURL = pageURL
        self.utmSource = utmSource
        self.utmMedium = utmMedium
        self.utmCampaign = utmCampaign
    }
}

/// A conversation row; `seq` orders lists and is their cursor.
public struct ConversationRecord: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var contactID: String
    public var state: ConversationState
    public var queue: String?
    public var escalationReason: String?
    public var activeChannel: Channel
    public var createdAt: Int64
    public var updatedAt: Int64
    public var closedAt: Int64?
    /// The named agent who owns it, and its name then.
    public var assignedAgentID: String?
    public var assignedAgentName: String?
    /// When a human must first answer; nil once one did (or when no human is asked).
    public var firstResponseDueAt: Int64?
    /// When a human first answered (kept for reports).
    public var firstHumanResponseAt: Int64?
    /// When the first response became overdue (stamped once).
    public var slaBreachedAt: Int64?
    /// How it was closed: `resolved`, `unresolved` or `spam`.
    public var resolution: String?
    /// Written when the conversation starts, never changed.
    public var attribution: ConversationAttribution
    /// The intent of the newest customer message that had one (`ChatRepository.recordLastIntent`
    /// writes it; `update` leaves it alone).
    public var lastIntent: MessageIntent?

    public init(
        seq: Int64 = 0, id: String, contactID: String, state: ConversationState, queue: String? = nil,
        escalationReason: String? = nil, activeChannel: Channel = .web, createdAt: Int64, updatedAt: Int64,
        closedAt: Int64? = nil, assignedAgentID: String? = nil, assignedAgentName: String? = nil,
        firstResponseDueAt: Int64? = nil, firstHumanResponseAt: Int64? = nil, slaBreachedAt: Int64? = nil,
        resolution: String? = nil, attribution: ConversationAttribution = ConversationAttribution(),
        lastIntent: MessageIntent? = nil
    ) {
        self.attribution = attribution
        self.lastIntent = lastIntent
        self.seq = seq
        self.id = id
        self.contactID = contactID
        self.state = state
        self.queue = queue
        self.escalationReason = escalationReason
        self.activeChannel = activeChannel
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.closedAt = closedAt
        self.assignedAgentID = assignedAgentID
        self.assignedAgentName = assignedAgentName
        self.firstResponseDueAt = firstResponseDueAt
        self.firstHumanResponseAt = firstHumanResponseAt
        self.slaBreachedAt = slaBreachedAt
        self.resolution = resolution
    }

    /// Whether `other` differs in what `ChatRepository.update` writes, `updated_at` aside: its
    /// state, queue, reason, channel, owner, first-response clock or how it ended.
    public func differsInRow(from other: ConversationRecord) -> Bool {
        var comparable = other
        comparable.seq = seq
        comparable.contactID = contactID
        comparable.createdAt = createdAt
        comparable.updatedAt = updatedAt
        comparable.attribution = attribution
        comparable.lastIntent = lastIntent
        return comparable != self
    }
}

/// What the conversations list shows of a conversation besides its row: its newest message and
/// since when the customer waits for a bot or agent answer (`awaiting_reply_since`).
public struct ConversationActivity: Sendable, Equatable {
    public var lastMessage: MessageRecord?
    public var awaitingReplySince: Int64?

    public init(lastMessage: MessageRecord?, awaitingReplySince: Int64?) {
        self.lastMessage = lastMessage
        self.awaitingReplySince = awaitingReplySince
    }
}

/// A message row; `seq` orders a conversation's history and is its cursor.
public struct MessageRecord: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var conversationID: String
    public var direction: Direction
    public var channel: Channel
    public var author: Author
    public var body: String
    public var status: String
    public var segments: Int?
    public var providerMessageID: String?
    /// The gateway's error code for a failed SMS.
    public var errorCode: Int?
    /// The E.164 recipient of an outbound SMS.
    public var toE164: String?
    /// MMS media URLs (JSON array), for inbound texts with pictures.
    public var media: String?
    /// The named agent who wrote it (with an agent key), and its name then.
    public var agentID: String?
    public var agentName: String?
    /// What a customer's message is about; nil for everyone else's, and for a customer's that
    /// matched nothing.
    public var intent: MessageIntent?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        seq: Int64 = 0, id: String, conversationID: String, direction: Direction, channel: Channel, author: Author,
        body: String, status: String, segments: Int? = nil, providerMessageID: String? = nil, errorCode: Int? = nil,
        toE164: String? = nil, media: String? = nil, agentID: String? = nil, agentName: String? = nil,
        intent: MessageIntent? = nil, createdAt: Int64, updatedAt: Int64
    ) {
        self.seq = seq
        self.id = id
        self.conversationID = conversationID
        self.direction = direction
        self.channel = channel
        self.author = author
        self.body = body
        self.status = status
        self.segments = segments
        self.providerMessageID = providerMessageID
        self.errorCode = errorCode
        self.toE164 = toE164
        self.media = media
        self.agentID = agentID
        self.agentName = agentName
        self.intent = intent
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One entry of a conversation's event log: what live streams send and replay.
public struct ConversationEventRecord: Sendable, Equatable {
    /// The SSE event id.
    public var seq: Int64
    public var conversationID: String
    /// `message`, `message_status` or `handoff`.
    public var type: String
    /// The event's JSON data.
    public var payload: String
    public var createdAt: Int64

    public init(seq: Int64, conversationID: String, type: String, payload: String, createdAt: Int64) {
        self.seq = seq
        self.conversationID = conversationID
        self.type = type
        self.payload = payload
        self.createdAt = createdAt
    }
}

/// What one queue holds (its conversations that are not closed).
public struct QueueCounts: Sendable, Equatable {
    public var queue: String
    public var open: Int
    public var unassigned: Int
    public var oldestWaitingSince: Int64?
    public var slaBreached: Int

    public init(queue: String, open: Int, unassigned: Int, oldestWaitingSince: Int64?, slaBreached: Int) {
        self.queue = queue
        self.open = open
        self.unassigned = unassigned
        self.oldestWaitingSince = oldestWaitingSince
        self.slaBreached = slaBreached
    }
}
