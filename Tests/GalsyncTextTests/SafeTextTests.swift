import GalsyncText
import Testing

/// `SafeText.line`: what every sink and every error built from a server's answer relies on.
@Suite struct SafeTextTests {
    /// True when `s` holds a C0/C1 control, DEL or a Unicode line/paragraph separator.
    static func hasControl(_ s: String) -> Bool { s.unicodeScalars.contains(where: SafeText.isControl) }

    @Test func escapeSequencesBecomeVisibleReplacements() {
        #expect(SafeText.line("Eve\u{1B}[2J\u{1B}]0;title\u{07}") == "Eve\u{FFFD}[2J\u{FFFD}]0;title\u{FFFD}")
        #expect(SafeText.line("a\u{9B}31mb") == "a\u{FFFD}31mb", "C1 CSI")
        #expect(SafeText.line("a\u{7F}b\u{0}c") == "a\u{FFFD}b\u{FFFD}c", "DEL and NUL")
    }

    @Test func lineBreaksAndTabsBecomeOneSpace() {
        #expect(SafeText.line("refused\nWATCHDOG_USEC=1") == "refused WATCHDOG_USEC=1")
        #expect(SafeText.line("a\r\nb\n\n\rc") == "a b c", "a run of breaks counts once")
        #expect(SafeText.line("a\u{2028}b\u{85}c\td") == "a b c d")
    }

    @Test func cleanTextIsUnchanged() {
        for s in ["", "Zoë Ångström 王小明 — ok", "Access is denied. Check credentials and try again.", "emoji 👩🏽‍💻"] {
            #expect(SafeText.line(s) == s)
        }
    }

    @Test func noControlCharacterSurvives() {
        let every = (0..<0xA0).compactMap(Unicode.Scalar.init).map(String.init).joined() + "\u{2028}\u{2029}"
        let out = SafeText.line("x" + every + "y")
        #expect(!Self.hasControl(out))
        #expect(!out.contains("\n") && !out.contains("\r"))
        #expect(out.hasPrefix("x") && out.hasSuffix("y") && out.contains("ABC"), "printable text stays")
    }
}
