import HandoffCore

/// The texts the service writes itself (verification codes, the STOP, START and HELP answers, opt-in
/// confirmations), in the contact's language: English, or Spanish for a contact whose locale is
/// Spanish. Each names the brand, says what happens and how to stop (PROTOCOLS.md).
package struct SystemTexts: Sendable, Equatable {
    /// The languages shipped; any other locale gets English.
    package enum Language: String, Sendable, CaseIterable {
        case english = "en"
        case spanish = "es"
    }

    package let brand: String
    package let language: Language

    /// The texts for a contact with `locale` (`es-MX`, `es`, `en-US`, nil...).
    package init(brand: String, locale: String?) {
        self.brand = brand
        language = Keyword.language(of: locale).flatMap(Language.init(rawValue:)) ?? .english
    }

    /// The answer to STOP (or any opt-out word or phrase).
    package var stop: String {
        switch language {
        case .english: "\(brand): you are unsubscribed and will get no more texts from us. Reply START to resubscribe."
        case .spanish: "\(brand): se ha dado de baja y no recibirá más mensajes nuestros. Responda ALTA para volver."
        }
    }

    /// The answer to START after a STOP.
    package var start: String {
        switch language {
        case .english:
            "\(brand): you are resubscribed. Msg frequency varies. Msg & data rates may apply. Reply HELP for help, STOP to cancel."
        case .spanish:
            "\(brand): se ha suscrito de nuevo. La frecuencia varía. Pueden aplicarse tarifas de mensajes y datos. "
                + "Responda AYUDA para ayuda, PARAR para cancelar."
        }
    }

    /// The answer to HELP.
    package var help: String {
        switch language {
        case .english:
            "\(brand): this number continues your chat with us. Msg frequency varies. Msg & data rates may apply. "
                + "Reply STOP to cancel."
        case .spanish:
            "\(brand): este número continúa su chat con nosotros. La frecuencia varía. Pueden aplicarse tarifas "
                + "de mensajes y datos. Responda PARAR para cancelar."
        }
    }

    /// The answer to the YES that confirmed a pending opt-in to `programs`.
    package func subscribed(to programs: [String]) -> String {
        let names = programs.joined(separator: ", ")
        return switch language {
        case .english:
            "\(brand): you're subscribed (\(names)). Msg frequency varies. Msg & data rates may apply. "
                + "Reply HELP for help, STOP to cancel."
        case .spanish:
            "\(brand): se ha suscrito (\(names)). La frecuencia varía. Pueden aplicarse tarifas de mensajes y datos. "
                + "Responda AYUDA para ayuda, PARAR para cancelar."
        }
    }

    /// Asks a number to confirm its pending opt-in to `program` with YES, with the program's
    /// disclosure in this language (else its default one; how often, rates, HELP and STOP).
    func optInQuestion(_ program: Program) -> String {
        let disclosure = program.disclosure(locale: language.rawValue)?.replacingOccurrences(
            of: "{{brand}}", with: brand)
        return switch language {
        case .english:
            "\(brand): reply YES to get \(program.name) texts. "
                + (disclosure ?? "Msg & data rates may apply. Reply HELP for help, STOP to cancel.")
        case .spanish:
            "\(brand): responda SI para recibir los mensajes de \(program.name). "
                + (disclosure
                    ?? "Pueden aplicarse tarifas de mensajes y datos. Responda AYUDA para ayuda, PARAR para cancelar.")
        }
    }

    /// The answer to a program's keyword from a number already opted in to it.
    func alreadySubscribed(_ program: Program) -> String {
        switch language {
        case .english:
            "\(brand): you're already subscribed to \(program.name) texts. Reply HELP for help, STOP to cancel."
        case .spanish:
            "\(brand): ya está suscrito a los mensajes de \(program.name). Responda AYUDA para ayuda, PARAR para cancelar."
        }
    }

    /// Asked once of a texter who says the number is not the contact's.
    package var wrongNumberQuestion: String {
        switch language {
        case .english:
            "\(brand): sorry if we texted the wrong person. Reply WRONG to confirm and we will stop texting this number."
        case .spanish:
            "\(brand): disculpe si escribimos a la persona equivocada. Responda WRONG para confirmarlo y dejaremos "
                + "de escribir a este número."
        }
    }

    /// The queue's wait-time notice: the wait for a person is long (about `minutes`).
    package func waitNotice(minutes: Int64) -> String {
        switch language {
        case .english:
            "\(brand): our team is busy right now; the wait for a person is about \(minutes) min. "
                + "Thanks for waiting, we will answer you here."
        case .spanish:
            "\(brand): nuestro equipo está ocupado ahora; la espera para hablar con una persona es de unos "
                + "\(minutes) min. Gracias por esperar, le responderemos aquí."
        }
    }

    /// The verification code's text; `invitesReply`: a YES to it confirms as well.
    package func code(_ code: String, invitesReply: Bool) -> String {
        switch language {
        case .english:
            "\(brand): your code is \(code). "
                + (invitesReply ? "Or reply YES to this text. " : "Type it in the chat to continue. ")
                + "Msg & data rates may apply. Reply STOP to cancel."
        case .spanish:
            "\(brand): su código es \(code). "
                + (invitesReply ? "O responda SI a este mensaje. " : "Escríbalo en el chat para continuar. ")
                + "Pueden aplicarse tarifas de mensajes y datos. Responda PARAR para cancelar."
        }
    }
}
