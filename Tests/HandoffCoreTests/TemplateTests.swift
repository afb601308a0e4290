import Testing

@testable import HandoffCore

@Suite struct TemplateBodyTests {
    @Test func splitsTextAndPlaceholders() throws {
        let body = try TemplateBody(parsing: "Hi {{first_name}}, see you {{ date }} at {{time}}. {{first_name}}!")
        #expect(body.placeholders == ["first_name", "date", "time"])
        #expect(body.parts.first == .text("Hi "))
        #expect(body.rendered { "<\($0)>" } == "Hi <first_name>, see you <date> at <time>. <first_name>!")
    }

    @Test(arguments: ["Hi {{", "Hi {{name", "{{Name}}", "{{1st}}", "{{first name}}", "{{}}", "{{ }}", "a {{b-c}} d"])
    func refusesMalformedPlaceholders(text: String) {
        #expect(throws: HandoffCoreError.self) { try TemplateBody(parsing: text) }
        do {
            _ = try TemplateBody(parsing: text, field: "variants[1].body")
        } catch {
            #expect(error.code == "invalid_placeholder")
            #expect(error.field == "variants[1].body")
        }
    }

    @Test(arguments: ["Prices in {curly} braces", "A lone }} closes nothing", "{ {name} }", ""])
    func keepsOtherBracesAsText(text: String) throws {
        let body = try TemplateBody(parsing: text)
        #expect(body.placeholders.isEmpty)
        #expect(body.rendered { _ in "X" } == text)
    }
}

@Suite struct TemplateVariableTests {
    @Test(arguments: [
        (TemplateVariable.Kind.date, "2026-12-11", "en", "Friday, December 11"),
        (.date, "2026-12-11", "es-MX", "viernes 11 de diciembre"),
        (.date, "2028-02-29", "fr", "2028-02-29"),
        (.date, "2000-01-01", "en", "Saturday, January 1"),
        (.time, "15:30", "en-US", "3:30 PM"), (.time, "00:05", "en", "12:05 AM"), (.time, "12:00", "en", "12:00 PM"),
        (.time, "09:00", "es", "09:00"),
        (.money, "12.5", "en", "$12.50"), (.money, "1234567.05", "en", "$1,234,567.05"),
        (.money, "EUR 1234.50", "es", "1.234,50 €"), (.money, "CHF 10", "en", "10.00 CHF"),
        (.money, "0.99", "en", "$0.99"),
        (.url, "https://example.com/r/abc", "en", "https://example.com/r/abc"),
        (.text, "Dr. Núñez", "en", "Dr. Núñez"),
    ])
    func formatsValues(kind: TemplateVariable.Kind, value: String, locale: String, written: String) throws {
        #expect(try TemplateVariable(name: "v", type: kind).formatted(value, locale: locale) == written)
    }

    @Test(arguments: [
        (TemplateVariable.Kind.date, "2026-02-29"), (.date, "2026-13-01"), (.date, "26-12-11"), (.date, "2026-1-11"),
        (.date, "2026-12-１１"), (.time, "24:00"), (.time, "9:00"), (.time, "10:60"), (.money, "-1.00"),
        (.money, "1.234"), (.money, "eur 1"), (.money, "1,000"), (.money, "12."), (.money, ""),
        (.url, "ftp://example.com"), (.url, "https://exa mple.com"), (.url, "https://"), (.url, "javascript:alert(1)"),
        (.text, "line\nbreak"), (.text, String(repeating: "a", count: 321)),
    ])
    func refusesValuesOfTheWrongType(kind: TemplateVariable.Kind, value: String) {
        do {
            _ = try TemplateVariable(name: "when", type: kind).formatted(value, locale: "en")
            Issue.record("accepted \(value) as \(kind)")
        } catch {
            #expect(error.code == "invalid_variable")
            #expect(error.field == "variables.when")
        }
    }

    @Test func picksTheBestLocale() {
        let available = ["en", "es", "pt-BR"]
        #expect(TemplateLocale.best(for: "es-MX", among: available, fallback: "en") == "es")
        #expect(TemplateLocale.best(for: "PT-br", among: available, fallback: "en") == "pt-BR")
        #expect(TemplateLocale.best(for: "pt_PT", among: available, fallback: "en") == "pt-BR")
        #expect(TemplateLocale.best(for: "de", among: available, fallback: "en") == "en")
        #expect(TemplateLocale.best(for: nil, among: available, fallback: "en") == "en")
    }
}

@Suite struct TemplateContentTests {
    static let reminder = TemplateContent(
        body: "{{brand}}: your appointment is {{date}} at {{time}}. Reply C to confirm or R to reschedule.",
        variables: [.init(name: "date", type: .date), .init(name: "time", type: .time)],
        replies: [
            .init(
                answers: ["C", "CONFIRM", "yes"], outcome: "confirmed", replyBody: "Thanks, see you then! {{brand}}"),
            .init(answers: ["R", "reschedule"], outcome: "reschedule"),
        ])
    static let rules = TemplateRules(brand: "Acme Dental", programKind: .transactional)

    @Test func acceptsAndRendersAReminder() throws {
        let segments = try Self.reminder.validate(Self.rules)
        #expect(segments.encoding == .gsm7)
        #expect(segments.count == 1)
        let text = try Self.reminder.render(
            ["date": "2026-12-11", "time": "10:00"], locale: "en", brand: "Acme Dental")
        #expect(
            text
                == "Acme Dental: your appointment is Friday, December 11 at 10:00 AM. Reply C to confirm or R to reschedule."
        )
    }

    @Test func rendersRefusals() {
        func code(_ values: [String: String]) -> (String, String?) {
            do {
                _ = try Self.reminder.render(values, locale: "en", brand: "B")
                return ("none", nil)
            } catch { return (error.code, error.field) }
        }
        #expect(code(["date": "2026-12-11"]) == ("missing_variable", "variables.time"))
        #expect(code(["date": "2026-12-11", "time": ""]) == ("missing_variable", "variables.time"))
        #expect(code(["date": "tomorrow", "time": "10:00"]) == ("invalid_variable", "variables.date"))
        #expect(code(["date": "2026-12-11", "time": "10:00", "tiem": "x"]) == ("invalid_variable", "variables.tiem"))
    }

    @Test func anAnswerMayNotBeAProgramsKeyword() throws {
        let content = TemplateContent(body: "Hi", replies: [.init(answers: ["C", "remind"], outcome: "confirmed")])
        let rules = TemplateRules(brand: "Acme", programKind: .transactional, programKeywords: ["REMIND"])
        do {
            try content.validate(rules)
            Issue.record("REMIND, a program's keyword, was accepted as an answer")
        } catch {
            #expect(error.code == "reserved_answer" && error.field == "replies[0].answers")
        }
        try content.validate(Self.rules)
    }

    @Test func optionalVariablesMayBeLeftOut() throws {
        let content = TemplateContent(
            body: "Order {{order}} shipped.{{note}}",
            variables: [.init(name: "order", type: .text), .init(name: "note", type: .text, required: false)])
        try content.validate(Self.rules)
        #expect(try content.render(["order": "A-17"], locale: "en", brand: "B") == "Order A-17 shipped.")
    }

    @Test(arguments: [
        (TemplateContent(body: "Hi {{name}}"), "undeclared_placeholder", "body"),
        (TemplateContent(body: "Hi", variables: [.init(name: "name", type: .text)]), "unused_variable", "body"),
        (
            TemplateContent(
                body: "Hi {{name}}", variables: [.init(name: "name", type: .text)],
                replies: [.init(answers: ["STOP"], outcome: "stopped")]),
            "reserved_answer", "replies[0].answers"
        ),
        (
            TemplateContent(body: "Hi", replies: [.init(answers: ["cancel"], outcome: "canceled")]),
            "reserved_answer", "replies[0].answers"
        ),
        (
            TemplateContent(body: "Hi", replies: [.init(answers: ["Help!"], outcome: "help")]), "reserved_answer",
            "replies[0].answers"
        ),
        (
            TemplateContent(body: "Hola", replies: [.init(answers: ["Cancelar"], outcome: "canceled")]),
            "reserved_answer", "replies[0].answers"
        ),
        (
            TemplateContent(
                body: "Hi", replies: [.init(answers: ["C"], outcome: "a"), .init(answers: [" c "], outcome: "b")]),
            "duplicate_answer", "replies[1].answers"
        ),
        (
            TemplateContent(body: "Hi", replies: [.init(answers: ["C"], outcome: "Confirmed")]), "invalid_outcome",
            "replies[0].outcome"
        ),
        (TemplateContent(body: String(repeating: "word ", count: 100)), "too_many_segments", "body"),
        (TemplateContent(body: "   "), "empty_body", "body"),
        (
            TemplateContent(body: "Hi {{brand}}", variables: [.init(name: "brand", type: .text)]), "reserved_variable",
            "variables[0].name"
        ),
        (
            TemplateContent(body: "{{a}}", variables: [.init(name: "a", type: .text), .init(name: "a", type: .url)]),
            "duplicate_variable", "variables[1].name"
        ),
        (
            TemplateContent(body: "Hi", variants: [.init(id: "a", body: "Hello", weight: 1)]), "invalid_variants",
            "variants"
        ),
        (
            TemplateContent(
                body: "Hi",
                variants: [.init(id: "a", body: "Hello", weight: 1), .init(id: "b", body: "Hey {{x}}", weight: 1)]),
            "undeclared_placeholder", "variants[1].body"
        ),
        (
            TemplateContent(
                body: "Hi",
                variants: [.init(id: "a", body: "Hello", weight: 0), .init(id: "b", body: "Hey", weight: 1)]),
            "invalid_variants", "variants[0].weight"
        ),
        (
            TemplateContent(body: "Hi", replies: [.init(answers: ["C"], outcome: "ok", replyBody: "Thanks {{name}}")]),
            "undeclared_placeholder", "replies[0].reply_body"
        ),
    ])
    func refusesOnSave(content: TemplateContent, code: String, field: String) {
        do {
            try content.validate(Self.rules)
            Issue.record("accepted \(content.body)")
        } catch {
            #expect(error.code == code)
            #expect(error.field == field)
        }
    }

    @Test func marketingMustSayHowToStop() throws {
        let marketing = TemplateRules(brand: "Acme", programKind: .marketing)
        do {
            try TemplateContent(body: "20% off this week!").validate(marketing)
            Issue.record("a marketing text without opt-out wording was accepted")
        } catch {
            #expect(error.code == "missing_opt_out")
        }
        try TemplateContent(body: "20% off this week! Reply STOP to opt out.").validate(marketing)
        try TemplateContent(body: "20% off this week!").validate(Self.rules)
    }

    @Test func configuredOptOutWordsAreReservedToo() {
        let spanish = TemplateRules(
            brand: "Acme", programKind: .transactional, vocabulary: .init(optOutWords: ["ALTO", "BAJA"]))
        #expect(throws: HandoffCoreError.self) {
            try TemplateContent(body: "Hola", replies: [.init(answers: ["baja"], outcome: "x")]).validate(spanish)
        }
    }

    @Test func measuresTheEncodingOfTheBody() throws {
        let segments = try TemplateContent(body: "Su cita es mañana 📅").validate(Self.rules)
        #expect(segments.encoding == .ucs2)
    }

    @Test(arguments: [("c", "confirmed"), ("  Confirm!  ", "confirmed"), ("YES", "confirmed"), ("r", "reschedule")])
    func matchesWholeAnswers(message: String, outcome: String) {
        #expect(Self.reminder.reply(matching: message)?.outcome == outcome)
    }

    @Test(arguments: ["c please", "confirmed", "", "  ", "cc"])
    func ignoresOtherMessages(message: String) {
        #expect(Self.reminder.reply(matching: message) == nil)
    }
}

@Suite struct TemplateVariantChooserTests {
    static let variants = [
        TemplateVariant(id: "control", body: "A", weight: 3), TemplateVariant(id: "short", body: "B", weight: 1),
    ]

    @Test func theSameContactAlwaysGetsTheSameVariant() {
        for contact in 0..<50 {
            let first = TemplateVariantChooser.variant(
                of: Self.variants, templateID: "tpl_1", contactKey: "c\(contact)")
            let again = TemplateVariantChooser.variant(
                of: Self.variants, templateID: "tpl_1", contactKey: "c\(contact)")
            #expect(first == again)
        }
    }

    @Test func sharesFollowTheWeights() {
        var counts: [String: Int] = [:]
        for contact in 0..<8_000 {
            let variant = TemplateVariantChooser.variant(
                of: Self.variants, templateID: "tpl_1", contactKey: "ct_\(contact)")
            counts[variant?.id ?? "none", default: 0] += 1
        }
        // 3:1 over 8,000 contacts: 6,000 ± 3.5 standard deviations (about 136).
        #expect((5_860...6_140).contains(counts["control", default: 0]))
        #expect(counts["none"] == nil)
    }

    @Test func noVariantsMeansNone() {
        #expect(TemplateVariantChooser.variant(of: [], templateID: "t", contactKey: "c") == nil)
    }
}

@Suite struct NormalizedAnswerTests {
    @Test(arguments: [
        ("  yes  ", "YES"), ("Yes!", "YES"), ("c\tancel \r\n please ...", "C ANCEL PLEASE"), ("¡Sí!", "¡SÍ"),
        ("straße", "STRASSE"), ("!!!", ""), ("a - b -", "A - B"), ("$5 +", "$5 +"),
    ])
    func uppercasesJoinsWordsAndDropsTrailingPunctuation(text: String, expected: String) {
        #expect(TemplateContent.normalizedAnswer(text) == expected)
    }

    /// The byte loop for ASCII text must agree with the `Character` rules on every ASCII byte.
    @Test func asciiAgreesWithTheCharacterRules() {
        var generator = SystemRandomNumberGenerator()
        let every = (0..<128).map { Character(Unicode.Scalar(UInt8($0))) }
        for length in 0..<2_000 {
            let text = String((0..<(length % 12)).map { _ in every.randomElement(using: &generator)! })
            #expect(
                TemplateContent.normalizedAnswer(text) == TemplateContent.normalizedAnswerOfAnyText(text),
                "\(Array(text.utf8))")
        }
        for byte in UInt8(0)..<128 {
            let text = "a" + String(Character(Unicode.Scalar(byte))) + "b" + String(Character(Unicode.Scalar(byte)))
            #expect(
                TemplateContent.normalizedAnswer(text) == TemplateContent.normalizedAnswerOfAnyText(text), "\(byte)")
        }
    }
}
