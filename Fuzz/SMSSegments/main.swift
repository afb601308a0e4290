// libFuzzer target: arbitrary text as an SMS body. The parts put back together are the body,
// every part fits its size (160/70 alone, 153/67 when concatenated), the unit count adds up, and
// smart encoding is stable (applying it twice changes nothing more).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSMSSegments(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let body = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let segments = SMSSegments(body: body)
    precondition(segments.parts.joined() == body, "the parts are the body")
    precondition(segments.encoding == SMSEncoding.of(body))
    let limit = segments.count == 1 ? (segments.encoding == .gsm7 ? 160 : 70) : (segments.encoding == .gsm7 ? 153 : 67)
    var total = 0
    for part in segments.parts {
        let units = part.unicodeScalars.reduce(0) { sum, scalar in
            sum
                + (segments.encoding == .gsm7
                    ? (SMSEncoding.extended.contains(scalar) ? 2 : 1) : scalar.utf16.count)
        }
        precondition(units <= limit, "a part of \(units) units exceeds \(limit)")
        precondition(segments.count == 1 || !part.isEmpty, "no empty part in a concatenated text")
        total += units
    }
    precondition(total == segments.units, "the units add up")
    let smart = SMSSmartEncoding.apply(body)
    precondition(SMSSmartEncoding.apply(smart) == smart, "smart encoding is stable")
    return 0
}
