// libFuzzer target: arbitrary bytes as a template and its values. The first line is the body,
// each further line `name=value`. Parsing either fails with `invalid_placeholder` or round-trips
// (writing the placeholders back gives the same parts); saving never crashes; every placeholder
// declared as text renders its value exactly; every formatter either refuses a value or writes it.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTemplates(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let source = lines[0]
    var values: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let equals = line.firstIndex(of: "=") else { continue }
        values[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    for kind in TemplateVariable.Kind.allCases {
        for value in values.values {
            for locale in ["en", "es", "de"] {
                if let written = try? TemplateVariable(name: "v", type: kind).formatted(value, locale: locale) {
                    precondition(!written.isEmpty || kind == .text, "a formatted \(kind) is never empty")
                }
            }
        }
    }
    let body: TemplateBody
    do {
        body = try TemplateBody(parsing: source)
    } catch {
        precondition(error.code == "invalid_placeholder")
        return 0
    }
    let written = body.rendered { "{{\($0)}}" }
    precondition((try? TemplateBody(parsing: written))?.parts == body.parts, "placeholders round-trip")
    let names = body.placeholders.filter { $0 != TemplateContent.brandVariable }
    let content = TemplateContent(
        body: source, variables: names.map { TemplateVariable(name: $0, type: .text, required: false) },
        replies: values.keys.sorted().map { TemplateReply(answers: [$0], outcome: "answered") })
    _ = try? content.validate(TemplateRules(brand: "Brand", programKind: .marketing))
    let safeValues = values.filter { names.contains($0.key) }
    if let rendered = try? content.render(safeValues, locale: "en", brand: "Brand") {
        let expected = body.rendered { $0 == "brand" ? "Brand" : safeValues[$0] ?? "" }
        precondition(rendered == expected, "text values render as given")
    }
    for value in values.values { _ = content.reply(matching: value) }
    return 0
}
