// libFuzzer target: arbitrary bytes, in arbitrary splits, into the HTTP/1.1 request parser.
// The first byte picks the split size, so the fuzzer explores incremental parsing too.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let step = Int(input[0] % 16) + 1
    var parser = HTTPRequestParser(
        limits: HTTPParserLimits(
            maxRequestLineBytes: 256, maxMethodBytes: 8, maxHeadBytes: 1024, maxHeaderCount: 16, maxBodyBytes: 4096))
    var offset = 1
    while offset < size {
        let end = min(size, offset + step)
        parser.append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[offset..<end]))
        offset = end
        do {
            while let event = try parser.next() {
                if case .request(let request) = event {
                    precondition(request.body.count <= 4096, "body limit not enforced")
                    precondition(request.headers.count <= 16, "header limit not enforced")
                    precondition(request.method.rawValue.utf8.count <= 8, "method limit not enforced")
                }
            }
        } catch {
            precondition([400, 413, 414, 417, 431, 501, 505].contains(error.status.code), "unexpected status")
            return 0
        }
    }
    return 0
}
