import Foundation
import HandoffCore
import Testing
import Yams

/// The five starter templates under config/templates/ (confirmation, reminder, qualification,
/// escalation, follow-up): each loads, passes every save-time check, fits its cap with real
/// values, and has an English and a Spanish body that expect the same outcomes.
@Suite struct StarterTemplateTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/templates")
    static let programs = try! ProgramCatalog([
        Program(
            id: "appointments", name: "Appointments", kind: .transactional,
            disclosures: ["en": "{{brand}} appointment texts. Reply STOP to cancel."])
    ])

    static func files() throws -> [(String, TemplateFile)] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { name in
                let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                return (name, try YAMLDecoder().decode(TemplateFile.self, from: text))
            }
    }

    @Test func theFiveStartersAreThere() throws {
        let names = Set(try Self.files().flatMap { $0.1.templates.map(\.name) })
        #expect(
            names == [
                "appointment_confirmation", "appointment_reminder", "lead_qualification", "escalation_notice",
                "quote_follow_up",
            ])
    }

    @Test func everyStarterPassesTheChecksAndFits() throws {
        for (file, starters) in try Self.files() {
            #expect(!starters.goal.isEmpty, "\(file) states its goal")
            #expect(Set(starters.templates.map(\.locale)) == ["en", "es"], "\(file) has English and Spanish")
            let outcomes = Set(starters.templates.map { Set($0.content.replies.map(\.outcome)) })
            #expect(outcomes.count == 1, "\(file): both languages expect the same outcomes")
            for template in starters.templates {
                let measured = try template.validate(programs: Self.programs, brand: "Acme Dental Clinic")
                #expect(measured.count <= 2, "\(file) \(template.locale): \(measured.count) segments")
                #expect(template.fallbackQueue != nil, "\(file) names a fallback queue")
                var values: [String: String] = [:]
                for variable in template.content.variables {
                    values[variable.name] =
                        switch variable.type {
                        case .text: "Dr. Rivera"
                        case .date: "2026-12-11"
                        case .time: "15:30"
                        case .money: "1250.00"
                        case .url: "https://acme.example/q/8F3K"
                        }
                }
                let text = try template.content.render(values, locale: template.locale, brand: "Acme Dental Clinic")
                #expect(!text.contains("{{"), "\(file) \(template.locale) renders every placeholder")
                #expect(SMSSegments(body: text).count <= 3, "\(file) \(template.locale): \(text)")
            }
        }
    }
}
