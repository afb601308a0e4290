// libFuzzer target: arbitrary bytes as an application/x-www-form-urlencoded body (gateway
// webhooks). Decoding either fails cleanly or round-trips through encoding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFormBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let form = try? URLEncodedForm(decoding: bytes) else { return 0 }
    let again = try? URLEncodedForm(decoding: form.encoded)
    precondition(again == form, "encoding then decoding gives the same fields")
    return 0
}
