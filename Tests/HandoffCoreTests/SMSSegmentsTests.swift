import Foundation
import HandoffCore
import TestSupport
import Testing

@Suite struct SMSSegmentsTests {
    @Test(arguments: [
        ("", SMSEncoding.gsm7, 1),
        (String(repeating: "a", count: 160), .gsm7, 1),
        (String(repeating: "a", count: 161), .gsm7, 2),
        (String(repeating: "a", count: 306), .gsm7, 2),
        (String(repeating: "a", count: 307), .gsm7, 3),
        (String(repeating: "€", count: 80), .gsm7, 1),
        (String(repeating: "€", count: 81), .gsm7, 2),
        (String(repeating: "ç", count: 70), .ucs2, 1),
        (String(repeating: "ç", count: 71), .ucs2, 2),
        (String(repeating: "👋", count: 35), .ucs2, 1),
        (String(repeating: "👋", count: 36), .ucs2, 2),
        ("Ça coûte 5 €", .ucs2, 1),
        ("Ça va? {ok} [1] ~ |x| \\ ^", .gsm7, 1),
    ])
    func countsSegments(body: String, encoding: SMSEncoding, count: Int) {
        let segments = SMSSegments(body: body)
        #expect(segments.encoding == encoding)
        #expect(segments.count == count)
        #expect(segments.parts.joined() == body)
    }

    @Test func neverSplitsAnEscapePairOrASurrogatePairOrACluster() {
        let escape = SMSSegments(body: String(repeating: "a", count: 152) + "€" + String(repeating: "b", count: 10))
        #expect(escape.parts.map { SMSSegments(body: $0).units } == [152, 12])
        let emoji = SMSSegments(body: String(repeating: "x", count: 66) + "👋" + String(repeating: "y", count: 5))
        #expect(emoji.parts.count == 2 && emoji.parts[0].utf16.count == 66 && emoji.parts[1].hasPrefix("👋"))
        let family = "👨‍👩‍👧"
        let cluster = SMSSegments(body: String(repeating: "x", count: 60) + family + String(repeating: "y", count: 20))
        #expect(cluster.parts[1].hasPrefix(family), "a grapheme cluster stays in one part")
    }

    @Test(.enabled(if: PythonOracle.isAvailable, "needs HANDOFF_TEST_PYTHON with smsutil (make test sets it)"))
    func agreesWithSmsutil() async throws {
        var generator = SplitMix64(seed: 42)
        let pools: [[Character]] = [
            Array("abcdefghijklmnopqrstuvwxyz ABC0123456789.,!?@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà"),
            Array("^{}\\[~]|€"),
            Array("çâêîôûœ’“”–—á"),
            Array("👋😀🎉🚀"),
        ]
        var bodies: [String] = []
        for index in 0..<2_500 {
            let length = [
                Int.random(in: 1...80, using: &generator), Int.random(in: 140...170, using: &generator),
                Int.random(in: 300...480, using: &generator),
            ][index % 3]
            let mix = Int.random(in: 0..<4, using: &generator)
            var body = ""
            for _ in 0..<length {
                let pool = Int.random(in: 0..<100, using: &generator) < [100, 90, 97, 96][mix] ? 0 : mix
                body.append(pools[pool].randomElement(using: &generator)!)
            }
            bodies.append(body)
        }
        struct Expected: Decodable {
            var encoding: String
            var parts: [Int]
        }
        let corpus = bodies
        let expected = try await offPool {
            try PythonOracle.runJSON(script: "sms_segments.py", input: corpus, as: [Expected].self)
        }
        var agreed = 0
        for (body, oracle) in zip(bodies, expected) {
            let ours = SMSSegments(body: body)
            // smsutil measures parts in characters (code points), not septets or units.
            let lengths = ours.parts.map { $0.unicodeScalars.count }
            if ours.encoding.rawValue == oracle.encoding && lengths == oracle.parts {
                agreed += 1
            } else {
                Issue.record("disagrees on \(body.debugDescription): ours \(lengths), smsutil \(oracle.parts)")
            }
        }
        print("SMS segments: agree with smsutil on \(agreed) of \(bodies.count) bodies")
        #expect(agreed == bodies.count)
    }
}

@Suite struct SMSSmartEncodingTests {
    @Test func keepsTypographicTextInGSM7() {
        let body = "We’ll call you “soon” – promise… see you\u{00A0}then"
        #expect(SMSEncoding.of(body) == .ucs2)
        let smart = SMSSmartEncoding.apply(body)
        #expect(smart == "We'll call you \"soon\" - promise... see you then")
        #expect(SMSEncoding.of(smart) == .gsm7)
        #expect(SMSSmartEncoding.apply("Ça va? 👋") == "Ça va? 👋", "what has no look-alike stays")
    }
}
