import CSQLite
import Foundation
import Hummingbird
import Synchronization

/// The fields of a Twilio inbound-SMS webhook this peer keeps.
struct InboundForm: Decodable {
    var messageSid: String
    var from: String
    var to: String
    var body: String

    enum CodingKeys: String, CodingKey {
        case messageSid = "MessageSid"
        case from = "From"
        case to = "To"
        case body = "Body"
    }
}

/// One SQLite connection behind a lock: one INSERT (its own transaction) per request.
final class Store: Sendable {
    private let state: Mutex<(OpaquePointer?, OpaquePointer?)>

    init(path: String, synchronous: String) {
        var db: OpaquePointer?
        sqlite3_open(path, &db)
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=\(synchronous);", nil, nil, nil)
        sqlite3_exec(
            db,
            "CREATE TABLE IF NOT EXISTS inbound (sid TEXT PRIMARY KEY, sender TEXT, recipient TEXT, body TEXT, raw TEXT)",
            nil, nil, nil)
        var statement: OpaquePointer?
        sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO inbound VALUES (?, ?, ?, ?, ?)", -1, &statement, nil)
        state = Mutex((db, statement))
    }

    func insert(_ form: InboundForm, raw: String) -> Bool {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        return state.withLock { state in
            let statement = state.1
            sqlite3_reset(statement)
            for (index, value) in [form.messageSid, form.from, form.to, form.body, raw].enumerated() {
                sqlite3_bind_text(statement, Int32(index + 1), value, -1, transient)
            }
            return sqlite3_step(statement) == SQLITE_DONE
        }
    }
}

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 18090 : 18090
let path = arguments.count > 2 ? arguments[2] : "peer.sqlite"
let synchronous = arguments.count > 3 ? arguments[3] : "NORMAL"
let store = Store(path: path, synchronous: synchronous)
let decoder = URLEncodedFormDecoder()
let router = Router()
router.post("/v1/webhooks/twilio/inbound") { request, context -> Response in
    let buffer = try await request.body.collect(upTo: 1 << 20)
    let raw = String(buffer: buffer)
    let form = try decoder.decode(InboundForm.self, from: raw)
    guard store.insert(form, raw: raw) else { return Response(status: .internalServerError) }
    return Response(
        status: .ok, headers: [.contentType: "text/xml"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>")))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
