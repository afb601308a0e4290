// libFuzzer target: arbitrary text as a typed phone number, under a few default regions.
// Whatever parses must be well-formed E.164 within the limits.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPhoneNumber(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let regions = ["US", "GB", "DE", "AR", "IT", "ZZ"]
    let region = regions[Int(data[0]) % regions.count]
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    guard let number = try? PhoneNumber(parsing: text, defaultRegion: region) else { return 0 }
    precondition(number.e164.hasPrefix("+") && number.e164.count <= 16, "E.164 is at most 15 digits")
    precondition(number.e164.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }, "digits only")
    precondition(number.masked.hasSuffix(String(number.e164.suffix(4))), "mask keeps the last four")
    return 0
}
