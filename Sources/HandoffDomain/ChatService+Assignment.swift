import DatabaseDriver
import HandoffCore
import Storage

/// Who owns a conversation: assign, unassign, transfer, hand back to the bot. Each is one write
/// transaction and one event (`conversation.assigned`, ...) through `changeConversation`; two
/// claims at the same moment are ordered by the writer (SQLite's one writer, PostgreSQL's
/// SERIALIZABLE), so the second sees the first owner and gets 409.
extension ChatService {
    /// Assigns the conversation to `agentID` (an agent key alone: to itself). Taking a
    /// conversation someone else owns needs `force` by a supervisor (409 `already_assigned`).
    package func assign(
        conversationID: String, caller: Caller, agentID: String?, force: Bool
    ) async throws -> ConversationJSON {
        let targetID = try Self.target(agentID, caller: caller)
        if let agent = caller.agent, targetID != agent.id, agent.role != .supervisor {
            throw Self.forbidden("Only a supervisor assigns conversations to others.")
        }
        let mayForce = force && caller.agent?.role == .supervisor
        let catalog = queues.value
        return try await changeConversation(conversationID, event: "conversation.assigned") {
            conversation, now, connection in
            try Self.requireOpen(conversation)
            try Self.requireMember(caller, of: conversation.queue, catalog)
            let target = try Self.agent(targetID, connection)
            if let owner = conversation.assignedAgentID, owner != target.id, !mayForce {
                throw UseCaseError(
                    .conflict, code: "already_assigned",
                    message: "\(conversation.assignedAgentName ?? "Another agent") owns this conversation.")
            }
            try conversation.assign(to: target, catalog: catalog, now: now, connection)
        }
    }

    /// Auto-assignment: gives the conversation, when it waits in a queue with `auto_assign` and
    /// nobody owns it, to the present agent who works that queue and was assigned least recently
    /// (`conversation.assigned`, as `assign`); nothing changes when it no longer waits or when
    /// nobody who works its queue is present.
    package func assignToPresentAgent(conversationID: String) async throws {
        let catalog = queues.value
        _ = try await changeConversation(conversationID, event: "conversation.assigned") {
            conversation, now, connection in
            guard conversation.state == .escalated, conversation.assignedAgentID == nil,
                let queue = conversation.queue.flatMap(catalog.queue(named:)), queue.autoAssign,
                let agent = try AssignmentRepository(connection).presentAgents(now: now).first(where: {
                    queue.autoAssigns(toAgent: $0.id, agentQueues: $0.queues)
                })
            else { return }
            try conversation.assign(to: agent, catalog: catalog, now: now, connection)
        }
    }

    /// Puts the conversation back in its queue, owned by nobody.
    package func unassign(conversationID: String, caller: Caller) async throws -> ConversationJSON {
        try await changeConversation(conversationID, event: "conversation.unassigned") { conversation, _, _ in
            try Self.requireOpen(conversation)
            try Self.requireOwnerOrSupervisor(conversation, caller)
            conversation.assignedAgentID = nil
            conversation.assignedAgentName = nil
        }
    }

    /// Moves the conversation to another queue (owned by nobody there) or to another agent.
    package func transfer(
        conversationID: String, caller: Caller, queue: String?, agentID: String?
    ) async throws -> ConversationJSON {
        guard (queue == nil) != (agentID == nil) else {
            throw UseCaseError(
                .invalid, code: "invalid_field", message: "Send either queue or agent_id.", field: "queue")
        }
        let catalog = queues.value
        if let queue, catalog.queue(named: queue) == nil {
            throw UseCaseError(.invalid, code: "unknown_queue", message: "No queue is named so.", field: "queue")
        }
        return try await changeConversation(conversationID, event: "conversation.transferred") {
            conversation, now, connection in
            try Self.requireOpen(conversation)
            try Self.requireOwnerOrSupervisor(conversation, caller)
            if let agentID {
                try conversation.assign(to: try Self.agent(agentID, connection), catalog: catalog, now: now, connection)
                return
            }
            guard let queue else { return }
            conversation.assignedAgentID = nil
            conversation.assignedAgentName = nil
            conversation.state = .escalated
            // A customer still waiting for a first human answer keeps the clock already running.
            if conversation.firstResponseDueAt == nil, conversation.firstHumanResponseAt == nil {
                conversation.enterQueue(queue, catalog: catalog, now: now)
            } else {
                conversation.queue = queue
            }
        }
    }

    /// A human hands the conversation back to the bot: out of the queues, owned by nobody, bot
    /// replies allowed again.
    package func handBack(conversationID: String, caller: Caller) async throws -> ConversationJSON {
        try await changeConversation(conversationID, event: "conversation.handed_back") { conversation, _, _ in
            try Self.requireOpen(conversation)
            try Self.requireOwnerOrSupervisor(conversation, caller)
            conversation.state = .open
            conversation.queue = nil
            conversation.assignedAgentID = nil
            conversation.assignedAgentName = nil
            conversation.firstResponseDueAt = nil
        }
    }

    /// The agent an assignment names: `agent_id`, or the calling agent itself.
    private static func target(_ agentID: String?, caller: Caller) throws -> String {
        if let agentID { return agentID }
        if let agent = caller.agent { return agent.id }
        throw UseCaseError(
            .invalid, code: "invalid_field", message: "agent_id is required with an API key.", field: "agent_id")
    }

    private static func agent(_ id: String, _ connection: any Connection) throws -> AgentRecord {
        guard let agent = try AgentRepository(connection).agent(id: id) else {
            throw UseCaseError(.invalid, code: "agent_not_found", message: "No agent has this id.", field: "agent_id")
        }
        return agent
    }

    private static func requireOpen(_ conversation: ConversationRecord) throws {
        guard conversation.state != .closed else {
            throw UseCaseError(.conflict, code: "conversation_closed", message: "The conversation is closed.")
        }
    }

    /// A named agent changes only a conversation nobody else owns, unless a supervisor; an API
    /// key (a bot, an integration) may.
    private static func requireOwnerOrSupervisor(_ conversation: ConversationRecord, _ caller: Caller) throws {
        guard let agent = caller.agent, agent.role != .supervisor,
            let owner = conversation.assignedAgentID, owner != agent.id
        else { return }
        throw forbidden("Another agent owns this conversation; a supervisor can change it.")
    }

    /// An agent (not a supervisor) claims only in queues it works: a queue without members takes
    /// any agent; otherwise the queue's members, or agents made with that queue, work it.
    private static func requireMember(_ caller: Caller, of queue: String?, _ catalog: QueueCatalog) throws {
        guard let agent = caller.agent, agent.role != .supervisor, let queue,
            let members = catalog.queue(named: queue)?.members, !members.isEmpty,
            !members.contains(agent.id), !agent.queues.contains(queue)
        else { return }
        throw forbidden("This agent does not work the queue \(queue).")
    }

    private static func forbidden(_ message: String) -> UseCaseError {
        UseCaseError(.forbidden, code: "forbidden", message: message)
    }
}

extension ConversationRecord {
    /// Owned by `agent` now: a human has it, so the bot waits; one that was in no queue enters
    /// the default one (and its first-response clock). A new owner is stamped assigned now (the
    /// turn of auto-assignment's round robin).
    fileprivate mutating func assign(
        to agent: AgentRecord, catalog: QueueCatalog, now: Int64, _ connection: any Connection
    ) throws {
        if assignedAgentID != agent.id {
            try AssignmentRepository(connection).recordAssignment(agentID: agent.id, now: now)
        }
        assignedAgentID = agent.id
        assignedAgentName = agent.name
        if state == .open { state = .escalated }
        if queue == nil { enterQueue(QueueCatalog.defaultQueueName, catalog: catalog, now: now) }
    }
}
