/// Text that came from the network (Graph's and the identity platform's error text, directory
/// display names) made safe to print on a terminal, write to the journal or send to systemd.
///
/// A server's string can hold ESC sequences that repaint an operator's terminal, or a line
/// break that turns one `sd_notify` assignment into two (`STATUS=…\nWATCHDOG_USEC=1`). Every
/// place such text leaves galsync passes it through `line(_:)`; the places that build errors
/// from a server's answer do too, so the text is clean wherever it goes next.
public enum SafeText {
    /// Shown instead of a control character: visible, so a stripped escape sequence still
    /// shows that something was there (`ESC[31m` → `�[31m`).
    public static let replacement: Unicode.Scalar = "\u{FFFD}"

    /// `text` as one line without control characters. Line breaks (CR, LF, NEL, U+2028,
    /// U+2029; a run of them, such as CRLF, counts once) and tabs become a space, so the words
    /// stay apart; every other C0 control, DEL and C1 control becomes U+FFFD. Text without any
    /// comes back as it was.
    public static func line(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        var afterBreak = false
        for scalar in text.unicodeScalars {
            if isLineBreak(scalar) {
                if !afterBreak { out.append(" ") }
                afterBreak = true
                continue
            }
            afterBreak = false
            out.append(scalar == "\t" ? " " : isControl(scalar) ? replacement : scalar)
        }
        return String(out)
    }

    /// C0 controls (U+0000–U+001F), DEL (U+007F), C1 controls (U+0080–U+009F), and the Unicode
    /// line and paragraph separators (U+2028, U+2029), which some readers break lines at.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        [0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029].contains(scalar.value)
    }
}
