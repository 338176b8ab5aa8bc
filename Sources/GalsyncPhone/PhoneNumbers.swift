import CPhoneNumber

/// Phone numbers as callers' phones show them, through Google's libphonenumber: E.164
/// (`+14255550100`) or the international form (`+1 425-555-0100`), so that a phone matches an
/// incoming call to the contact. A number libphonenumber cannot parse is left to the caller to
/// write as it is.
public enum PhoneNumbers {
    /// `number` formatted; nil when it does not parse (no country code and no region, or not a
    /// phone number). `region`: ISO 3166-1 alpha-2 for numbers dialled without their country
    /// code; nil or "" when none is known.
    public static func format(_ number: String, region: String?, international: Bool) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        let n = galsync_phone_format(number, region ?? "", international ? Int32(GALSYNC_PHONE_INTERNATIONAL.rawValue) : Int32(GALSYNC_PHONE_E164.rawValue),
                                     &buffer, Int32(buffer.count))
        guard n >= 0 else { return nil }
        return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
