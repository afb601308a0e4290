import HTTPServer
import HTTPValues
import Testing

/// Form bodies as gateways send them: ordered pairs, repeats kept, strict about escapes and UTF-8.
@Suite struct URLEncodedFormTests {
    @Test func decodesPairsInOrderWithRepeatsEscapesAndPlus() throws {
        let form = try URLEncodedForm(
            decoding: Array("Body=Hi+there%21+%F0%9F%93%A6&To=%2B15005550006&&Digits=1&Digits=2&Flag&Empty=".utf8))
        #expect(form.fields.map(\.name) == ["Body", "To", "Digits", "Digits", "Flag", "Empty"])
        #expect(form.fields.map(\.value) == ["Hi there! 📦", "+15005550006", "1", "2", "", ""])
        #expect(form["Digits"] == "1" && form.values("Digits") == ["1", "2"])
        #expect(try URLEncodedForm(decoding: []).fields.isEmpty)
        #expect(try URLEncodedForm(decoding: Array("a=b=c".utf8))["a"] == "b=c")
        #expect(try URLEncodedForm(decoding: Array("&a=1&&&b=2&".utf8)).fields.map(\.name) == ["a", "b"])
        #expect(try URLEncodedForm(decoding: Array("&&".utf8)).fields.isEmpty)
    }

    @Test func refusesMalformedEscapesAndBytesThatAreNotUTF8() throws {
        let cases: [([UInt8], String)] = [
            (Array("a=%G1".utf8), "The form body has a malformed escape."),
            (Array("a=%4".utf8), "The form body has a malformed escape."),
            (Array("a%=1".utf8), "The form body has a malformed escape."),
            (Array("a=%FF".utf8), "The form body has a malformed escape."),
            (Array("a=".utf8) + [0xFF], "The form body is not UTF-8."),
            ([0xC3] + Array("=1".utf8), "The form body is not UTF-8."),
            // A cut 4-byte sequence is as long as the U+FFFD a repairing decoder puts in its place.
            (Array("a=".utf8) + [0xF0, 0x9F, 0x98], "The form body is not UTF-8."),
            (Array("a=%F0%9F%98".utf8), "The form body has a malformed escape."),
        ]
        for (body, message) in cases {
            let error = #expect(throws: URLEncodedFormError.self) { try URLEncodedForm(decoding: body) }
            #expect(error?.message == message, "\(body)")
        }
        // U+FFFD itself, sent as such, is text like any other.
        let replacement = try URLEncodedForm(decoding: Array("a=%EF%BF%BD&b=\u{FFFD}".utf8))
        #expect(replacement.fields.map(\.value) == ["\u{FFFD}", "\u{FFFD}"])
    }

    @Test func encodingRoundTrips() throws {
        let form = URLEncodedForm([("Body", "50% off & more = yes"), ("To", "+1 415"), ("é", "ü")])
        #expect(try URLEncodedForm(decoding: form.encoded) == form)
    }
}
