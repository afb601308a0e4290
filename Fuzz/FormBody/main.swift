// libFuzzer target: arbitrary bytes as an application/x-www-form-urlencoded body (gateway
// webhooks). Decoding either fails cleanly or round-trips through encoding; the decoder's UTF-8
// check agrees with the standard library's String(validating:as:) on the raw bytes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFormBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    precondition(
        PercentEncoding.validUTF8(bytes) == String(validating: bytes, as: UTF8.self),
        "the UTF-8 check agrees with the standard library's")
    guard let form = try? URLEncodedForm(decoding: bytes) else { return 0 }
    let again = try? URLEncodedForm(decoding: form.encoded)
    precondition(again == form, "encoding then decoding gives the same fields")
    return 0
}
