import HandoffCore
import Testing

@Suite struct DeliveryStatusTests {
    @Test func mapsGatewayWords() {
        #expect(DeliveryStatus(gatewayStatus: "accepted") == .queued)
        #expect(DeliveryStatus(gatewayStatus: "READ") == .delivered)
        #expect(DeliveryStatus(gatewayStatus: "canceled") == .failed)
        #expect(DeliveryStatus(gatewayStatus: "received") == nil)
    }

    @Test func onlyMovesForwardAndNeverLeavesAFinalStatus() {
        #expect(DeliveryStatus.queued.canAdvance(to: .sent))
        #expect(DeliveryStatus.sent.canAdvance(to: .delivered))
        #expect(!DeliveryStatus.sent.canAdvance(to: .sending), "a late sending report is ignored")
        #expect(!DeliveryStatus.delivered.canAdvance(to: .failed))
        #expect(!DeliveryStatus.failed.canAdvance(to: .delivered))
        #expect(!DeliveryStatus.sent.canAdvance(to: .sent), "a repeated report changes nothing")
        #expect(
            DeliveryStatus.allCases.filter(\.isTerminal) == [.delivered, .undelivered, .failed, .suppressed, .canceled])
    }
}
