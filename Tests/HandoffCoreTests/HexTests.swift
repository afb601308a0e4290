import HandoffCore
import Testing

@Suite struct HexTests {
    @Test func writesTwoLowercaseDigitsPerByte() {
        #expect([UInt8]().hexString == "")
        #expect([0x00, 0x0f, 0xab, 0xff].hexString == "000fabff")
        #expect(Array(0...255).map(UInt8.init).hexString.count == 512)
    }
}
