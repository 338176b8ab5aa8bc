/// TOML 1.0 integers and floats: decimal with optional sign, `0x`/`0o`/`0b` without one,
/// underscores only between digits, no leading zeros, `inf` and `nan`.
enum TOMLNumber {
    static func parse(_ token: String) -> ConfigValue? {
        var body = Substring(token)
        var negative = false
        if let sign = body.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        if body == "inf" { return .double(negative ? -.infinity : .infinity) }
        if body == "nan" { return .double(.nan) }
        if body.count > 2, body.hasPrefix("0x") || body.hasPrefix("0o") || body.hasPrefix("0b") {
            guard body.count == token.count else { return nil }
            let radix = body.hasPrefix("0x") ? 16 : body.hasPrefix("0o") ? 8 : 2
            guard let digits = digits(body.dropFirst(2), radix: radix), let v = Int(digits, radix: radix) else { return nil }
            return .int(v)
        }
        let exponentAt = body.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = exponentAt.map { body[..<$0] } ?? body
        let dotAt = mantissa.firstIndex(of: ".")
        let whole = dotAt.map { mantissa[..<$0] } ?? mantissa
        guard let wholeDigits = digits(whole, radix: 10), wholeDigits.count == 1 || wholeDigits.first != "0" else { return nil }
        if dotAt == nil, exponentAt == nil {
            guard let v = Int((negative ? "-" : "") + wholeDigits) else { return nil }
            return .int(v)
        }
        var literal = wholeDigits
        if let dotAt {
            guard let fraction = digits(mantissa[mantissa.index(after: dotAt)...], radix: 10) else { return nil }
            literal += "." + fraction
        }
        if let exponentAt {
            var exponent = body[body.index(after: exponentAt)...]
            var sign = ""
            if let s = exponent.first, s == "+" || s == "-" {
                sign = String(s)
                exponent = exponent.dropFirst()
            }
            guard let e = digits(exponent, radix: 10) else { return nil }
            literal += "e" + sign + e
        }
        guard let v = Double(literal) else { return nil }
        return .double(negative ? -v : v)
    }

    /// The digits with TOML's underscores removed; nil unless every underscore sits between two digits.
    private static func digits(_ text: Substring, radix: Int) -> String? {
        guard let first = text.first, first != "_", text.last != "_", !text.contains("__") else { return nil }
        let out = text.filter { $0 != "_" }
        guard out.allSatisfy({ $0.isASCII && $0.hexDigitValue.map { $0 < radix } == true }) else { return nil }
        return String(out)
    }
}

/// TOML 1.0 dates and times (`1979-05-27T07:32:00Z`, `1979-05-27`, `07:32:00.5`...), checked
/// and named; galsync has no key that takes one.
enum TOMLDateTime {
    /// "a date and time", "a date" or "a time" when `token` is one; nil otherwise.
    static func kind(_ token: String) -> String? {
        let s = Array(token.utf8)
        if s.count >= 8, s[2] == UInt8(ascii: ":") {
            return time(s[...]) == s.count ? "a time" : nil
        }
        guard s.count >= 10, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"),
              let year = number(s[0..<4]), let month = number(s[5..<7]), let day = number(s[8..<10]),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        if s.count == 10 { return "a date" }
        guard [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(s[10]), let end = time(s[11...]) else { return nil }
        var rest = s[end...]
        if rest.isEmpty { return "a date and time" }
        if rest == [UInt8(ascii: "Z")] || rest == [UInt8(ascii: "z")] { return "a date and time" }
        guard rest.count == 6, rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: "-") else { return nil }
        rest = rest.dropFirst()
        guard rest[rest.startIndex + 2] == UInt8(ascii: ":"),
              let h = number(rest.prefix(2)), let m = number(rest.suffix(2)), h < 24, m < 60 else { return nil }
        return "a date and time"
    }

    /// `HH:MM:SS(.fraction)` at the start of `s`; the index after it.
    private static func time(_ s: ArraySlice<UInt8>) -> Int? {
        let i = s.startIndex
        guard s.count >= 8, s[i + 2] == UInt8(ascii: ":"), s[i + 5] == UInt8(ascii: ":"),
              let h = number(s[i..<(i + 2)]), let m = number(s[(i + 3)..<(i + 5)]), let sec = number(s[(i + 6)..<(i + 8)]),
              h < 24, m < 60, sec <= 60 else { return nil }
        var end = i + 8
        if end < s.endIndex, s[end] == UInt8(ascii: ".") {
            end += 1
            let digitsStart = end
            while end < s.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(s[end]) { end += 1 }
            guard end > digitsStart else { return nil }
        }
        return end
    }

    private static func number(_ s: ArraySlice<UInt8>) -> Int? {
        guard !s.isEmpty, s.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return s.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
